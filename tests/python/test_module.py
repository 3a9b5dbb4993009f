"""The Python module against the CLI (bit for bit), its argument checking and error mapping, and
concurrent use of one model from several threads."""
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import m2vk

TEXTS = [
    "the quick brown fox jumps over the lazy dog",
    "hello world",
    "Monarch Mixer replaces attention and the MLP with structured matrices",
    "a",
    "sentence embeddings from python should equal the command line tool bit for bit",
    "numbers 12345 and punctuation!?",
    "short",
    "the last text of the list",
    "one more so that the batches are uneven",
]

DEVICES = ["cpu", "llvmpipe"]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("padding,batch", [("max_length", 4), ("longest", 3)])
def test_encode_equals_cli(demo_model, cli_embed, device, padding, batch):
    model = m2vk.Model(demo_model, device=device, padding=padding, max_length=48)
    got = model.encode(TEXTS, batch_size=batch)
    want = cli_embed(demo_model, TEXTS, "--device", device, "--padding", padding, "--max-length", "48",
                     "--batch-size", str(batch))
    assert got.dtype == np.float32 and got.shape == (len(TEXTS), model.dim)
    assert np.array_equal(got, want)


def test_encode_normalized_equals_cli(demo_model, cli_embed):
    model = m2vk.Model(demo_model, device="cpu", max_length=32)
    got = model.encode(TEXTS, normalize_embeddings=True)
    want = cli_embed(demo_model, TEXTS, "--device", "cpu", "--max-length", "32", "--normalize")
    assert np.array_equal(got, want)
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, rtol=1e-5)


def test_return_types_follow_sentence_transformers(demo_model):
    model = m2vk.Model(demo_model, device="cpu", max_length=32)
    batch = model.encode(TEXTS[:3])
    one = model.encode(TEXTS[1])
    assert one.shape == (model.dim,) and one.dtype == np.float32
    assert np.array_equal(one, model.encode([TEXTS[1]])[0])
    as_list = model.encode(TEXTS[:3], convert_to_numpy=False)
    assert isinstance(as_list, list) and len(as_list) == 3
    assert all(np.array_equal(a, b) for a, b in zip(as_list, batch))
    assert model.encode([]).shape == (0, model.dim)
    assert model.encode(iter(TEXTS[:3])).shape == (3, model.dim)  # any iterable of str
    assert model.get_sentence_embedding_dimension() == 32


def test_repr_names_model_shape_device_random_weights(demo_model):
    model = m2vk.Model(demo_model, device="llvmpipe", max_length=32)
    text = repr(model)
    assert demo_model in text and "dim=32" in text and "llvmpipe" in text and "RANDOM weights" in text
    model.close()
    assert "closed" in repr(model)


def test_tokenize_and_devices(demo_model):
    model = m2vk.Model(demo_model, device="cpu", padding="longest")
    t = model.tokenize(["hello world", ("first segment", "second")])
    ids = t["input_ids"]
    assert ids.shape[0] == 2 and ids[0][0] == 101 and list(ids[0][:4]) == [101, 7592, 2088, 102]
    # the pair's second segment has token type 1, padding has mask 0
    assert t["token_type_ids"][1].max() == 1 and t["token_type_ids"][0].max() == 0
    assert t["attention_mask"][0].tolist() == [1, 1, 1, 1] + [0] * (ids.shape[1] - 4)
    devs = m2vk.devices()
    assert any("llvmpipe" in d["name"] for d in devs)
    assert sum(d["default"] for d in devs) == 1


def test_progress_bar_runs(demo_model, capsys):
    model = m2vk.Model(demo_model, device="cpu", max_length=16)
    got = model.encode(TEXTS, batch_size=2, show_progress_bar=True)
    assert "9/9" in capsys.readouterr().err  # tqdm's final count, fed by the library's callback
    assert np.array_equal(got, model.encode(TEXTS, batch_size=2, show_progress_bar=False))


def test_concurrent_encode_on_one_model(demo_model):
    for device in DEVICES:
        model = m2vk.Model(demo_model, device=device, max_length=32)
        want = [model.encode(TEXTS[i:] + TEXTS[:i], batch_size=2) for i in range(6)]
        got = [None] * 6
        errors = []

        def work(i):
            try:
                for _ in range(3):
                    got[i] = model.encode(TEXTS[i:] + TEXTS[:i], batch_size=2)
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        assert all(np.array_equal(g, w) for g, w in zip(got, want))


def test_close_while_other_threads_encode(demo_model):
    model = m2vk.Model(demo_model, device="llvmpipe", max_length=32)
    outcomes = []

    def work():
        try:
            model.encode(TEXTS * 4, batch_size=2)
            outcomes.append("done")
        except ValueError as e:
            outcomes.append(str(e))

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    model.close()
    for t in threads:
        t.join()
    assert len(outcomes) == 3 and all(o == "done" or "closed" in o for o in outcomes)
    with pytest.raises(ValueError, match="closed"):
        model.encode("x")


# ---- bad input -----------------------------------------------------------------------------------

def test_bad_arguments_raise_type_and_value_errors(demo_model):
    model = m2vk.Model(demo_model, device="cpu", max_length=32)
    with pytest.raises(TypeError, match=r"sentences\[1\]"):
        model.encode(["ok", 3])
    with pytest.raises(TypeError, match="sentences"):
        model.encode(42)
    with pytest.raises(TypeError, match="sentences"):
        model.encode(b"bytes")
    with pytest.raises(TypeError, match="batch_size"):
        model.encode(["x"], batch_size="8")
    with pytest.raises(ValueError, match="batch_size"):
        model.encode(["x"], batch_size=0)
    with pytest.raises(TypeError, match=r"texts_or_pairs\[0\]"):
        model.classify([("a", "b", "c")])
    with pytest.raises(ValueError, match="no texts"):
        model.tokenize([])
    # the model still works after every error above
    assert model.encode("x").shape == (32,)


def test_bad_model_options(demo_model, tmp_path):
    with pytest.raises(ValueError, match="padding 'shortest'"):
        m2vk.Model(demo_model, device="cpu", padding="shortest")
    with pytest.raises(ValueError, match="precision 'fp8'"):
        m2vk.Model(demo_model, device="cpu", precision="fp8")
    with pytest.raises(ValueError, match="max_length"):
        m2vk.Model(demo_model, device="cpu", max_length=1)
    with pytest.raises(TypeError, match="max_length"):
        m2vk.Model(demo_model, device="cpu", max_length="32")
    with pytest.raises(TypeError, match="device"):
        m2vk.Model(demo_model, device=0)
    with pytest.raises(ValueError, match="max_length 9999"):
        m2vk.Model(demo_model, device="cpu", max_length=9999).encode("x")
    with pytest.raises(FileNotFoundError, match="does-not-exist"):
        m2vk.Model(str(tmp_path / "does-not-exist"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(RuntimeError, match="empty"):
        m2vk.Model(str(tmp_path / "empty"), device="cpu")


def test_unknown_device_spec_is_a_value_error_listing_devices(demo_model):
    with pytest.raises(ValueError, match=r"(?s)no-such-gpu.*llvmpipe"):
        m2vk.Model(demo_model, device="gpu:no-such-gpu")


def test_no_vulkan_device_raises_device_error(demo_model):
    # A child Python without any Vulkan driver: asking for the GPU is a DeviceError (RuntimeError).
    env = dict(os.environ, VK_ICD_FILENAMES="/nonexistent.json", VK_DRIVER_FILES="/nonexistent.json")
    code = ("import m2vk\n"
            "assert issubclass(m2vk.DeviceError, RuntimeError)\n"
            "try:\n"
            f"    m2vk.Model({demo_model!r}, device='gpu')\n"
            "except m2vk.DeviceError as e:\n"
            "    print('DeviceError:', e)\n")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("DeviceError:") and "Vulkan" in out.stdout


def test_classify_on_encoder_only_model_is_an_error(demo_model):
    model = m2vk.Model(demo_model, device="cpu", max_length=16)
    with pytest.raises((ValueError, RuntimeError)) as info:
        model.classify(["a text"])
    assert str(info.value)  # carries the library's message


def test_golden_classifier_vocabulary_error_names_the_token(cli):
    # The golden sets have a 1000-token vocabulary: real text maps outside it, and the library's
    # message (row, position, value) reaches Python as a ValueError, as the CLI reports it.
    folder = os.path.join(os.environ["M2VK_TEST_DATA"], "golden", "tiny-classifier")
    model = m2vk.Model(folder, device="cpu", max_length=32)
    with pytest.raises(ValueError, match=r"input_ids\[0\]\[1\] = 1037 is outside \[0, 1000\)"):
        model.classify(["a text", "another one"])
