"""Fixtures shared by the Python module tests: the CLI binary, a tiny demo model, a CLI runner."""
import os
import subprocess

import numpy as np
import pytest


@pytest.fixture(scope="session")
def cli():
    path = os.environ.get("M2VK_CLI")
    if not path or not os.path.exists(path):
        pytest.fail("M2VK_CLI must name the m2vk binary (ctest sets it)")
    return path


@pytest.fixture(scope="session")
def demo_model(cli, tmp_path_factory):
    """A random-weight tiny model folder written by `m2vk demo-model` (l_max 512, dim 32)."""
    folder = tmp_path_factory.mktemp("models") / "tiny"
    subprocess.run([cli, "demo-model", str(folder), "--shape", "tiny", "--seed", "7"], check=True,
                   capture_output=True)
    return str(folder)


@pytest.fixture(scope="session")
def cli_embed(cli, tmp_path_factory):
    """Runs `m2vk embed --format npy` on texts (one per line) and returns the array."""
    out_dir = tmp_path_factory.mktemp("cli")
    counter = [0]

    def run(model, texts, *flags):
        counter[0] += 1
        inp = out_dir / f"in{counter[0]}.txt"
        out = out_dir / f"out{counter[0]}.npy"
        inp.write_text("".join(t + "\n" for t in texts))
        subprocess.run([cli, "embed", "--model", model, "--input", str(inp), "--format", "npy", "--output", str(out),
                        *flags], check=True, capture_output=True)
        return np.load(out)

    return run
