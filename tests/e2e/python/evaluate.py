"""Evaluates an exported Cohort model with libraries no one here wrote: the file is read by
Hugging Face's `safetensors` (its NumPy loader), the module it names (`torch.module` in its
metadata, PyTorch code) is built from NumPy stand-ins for the `torch.nn` layers it uses, the
state dict is loaded by key as `load_state_dict` would, and the validation set (`.cohd`) is
classified with NumPy in float32. Prints `{"accuracy": …, "samples": …}`.

    python evaluate.py model.safetensors validation.cohd
"""

import json
import struct
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file


class Linear:
    """`torch.nn.Linear`: y = x·Wᵀ + b, W of shape [out_features, in_features]."""

    def __init__(self, in_features, out_features):
        self.shape = (out_features, in_features)

    def load(self, state, prefix):
        self.weight = state[prefix + "weight"]
        self.bias = state[prefix + "bias"]
        assert self.weight.shape == self.shape, (prefix, self.weight.shape, self.shape)
        assert self.bias.shape == (self.shape[0],), (prefix, self.bias.shape)

    def __call__(self, x):
        return x @ self.weight.T + self.bias


class ReLU:
    def load(self, state, prefix):
        pass

    def __call__(self, x):
        return np.maximum(x, 0)


class Sequential:
    """`torch.nn.Sequential`: its modules' state under `<index>.`."""

    def __init__(self, *modules):
        self.modules = modules

    def load_state_dict(self, state):
        used = set()
        for index, module in enumerate(self.modules):
            module.load(state, f"{index}.")
            used.update(k for k in state if k.startswith(f"{index}."))
        assert used == set(state), f"keys no module takes: {set(state) - used}"

    def __call__(self, x):
        for module in self.modules:
            x = module(x)
        return x


class _nn:
    Linear = Linear
    ReLU = ReLU
    Sequential = Sequential


class _torch:
    """What the module's code may name; anything else (a CNN's layers) is refused by `eval`."""

    nn = _nn


def read_cohd(path):
    """`.cohd` version 1: "COHD", 1, samples u32, features u32, classes u16, f32 features
    row by row, u16 labels (all little-endian)."""
    data = open(path, "rb").read()
    assert data[:5] == b"COHD\x01", "a .cohd file, version 1"
    samples, features, classes = struct.unpack_from("<IIH", data, 5)
    x = np.frombuffer(data, "<f4", samples * features, 15).reshape(samples, features)
    y = np.frombuffer(data, "<u2", samples, 15 + 4 * samples * features)
    assert (y < classes).all()
    return x, y


def main(model_path, data_path):
    with safe_open(model_path, "np") as f:
        code = f.metadata()["torch.module"]
    model = eval(code, {"__builtins__": {}}, {"torch": _torch})
    model.load_state_dict(load_file(model_path))
    x, y = read_cohd(data_path)
    predicted = model(x.astype(np.float32)).argmax(axis=1)
    print(json.dumps({"accuracy": float((predicted == y).mean()), "samples": int(len(y))}))


if __name__ == "__main__":
    main(*sys.argv[1:])
