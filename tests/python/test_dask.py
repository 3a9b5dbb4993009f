"""m2vk.dask on a LocalCluster of 2 single-threaded worker processes: results equal a
single-process encode(), each worker loads the model exactly once (asked from the workers), and a
rerun with output_dir reads the partition shards back instead of embedding again."""
import random

import dask.bag as db
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from distributed import Client, LocalCluster

import m2vk
import m2vk.dask

WORDS = "alpha beta gamma delta monarch mixer vulkan dask worker partition cluster".split()


@pytest.fixture(scope="module")
def client():
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    c = Client(cluster)
    yield c
    c.close()
    cluster.close()


def test_two_workers_equal_encode_and_load_once(client, demo_model, tmp_path):
    rng = random.Random(5)
    texts = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 10))) for _ in range(300)]
    opts = dict(device="cpu", max_length=24)
    want = m2vk.Model(demo_model, **opts).encode(texts, batch_size=5)  # partitions of 25 keep batches aligned

    bag = db.from_sequence(texts, partition_size=25)
    got = np.stack(m2vk.dask.embed_bag(bag, demo_model, batch_size=5, output_dir=str(tmp_path), **opts).compute())
    assert np.array_equal(got, want)
    loads = client.run(m2vk.dask.load_count)
    parts = client.run(m2vk.dask.partition_count)
    assert sum(parts.values()) == 12
    assert all(loads[w] == (1 if parts[w] else 0) for w in loads), (loads, parts)
    assert sum(1 for w in parts if parts[w]) == 2  # both workers did work

    # a rerun reads the shards back: no partition embedded again, same result
    again = np.stack(m2vk.dask.embed_bag(bag, demo_model, batch_size=5, output_dir=str(tmp_path), **opts).compute())
    assert np.array_equal(again, want)
    assert client.run(m2vk.dask.partition_count) == parts

    df = dd.from_pandas(pd.DataFrame({"text": texts}), npartitions=12)
    from_df = np.stack(m2vk.dask.embed_dataframe(df, "text", demo_model, batch_size=5, **opts).compute())
    assert np.array_equal(from_df, want)
    assert client.run(m2vk.dask.load_count) == loads  # the cached model again
    with pytest.raises(ValueError, match="no column 'body'"):
        m2vk.dask.embed_dataframe(df, "body", demo_model)
