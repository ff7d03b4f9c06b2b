"""The training baseline of scripts/benchmark-ml.sh: the engine benchmark's MLP (64 -> 32 -> 10,
ReLU between the layers) on data of the digits set's shape (1,797 samples of 64 features, 10
classes), SGD at learning rate 0.1, batches of 32, 2 epochs, in PyTorch on every core. Prints
samples per second, the best of 7 runs, as the engine's benchmark does. The values are random:
throughput does not depend on them."""

import os
import time

import torch

torch.set_num_threads(os.cpu_count() or 1)
torch.manual_seed(1)
SAMPLES, FEATURES, CLASSES, BATCH, EPOCHS = 1797, 64, 10, 32, 2
x = torch.rand(SAMPLES, FEATURES)
y = torch.randint(0, CLASSES, (SAMPLES,))


def run() -> float:
    model = torch.nn.Sequential(
        torch.nn.Linear(FEATURES, 32), torch.nn.ReLU(), torch.nn.Linear(32, CLASSES)
    )
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = torch.nn.CrossEntropyLoss()
    start = time.perf_counter()
    for _ in range(EPOCHS):
        order = torch.randperm(SAMPLES)
        for i in range(0, SAMPLES, BATCH):
            batch = order[i : i + BATCH]
            optimizer.zero_grad()
            loss_fn(model(x[batch]), y[batch]).backward()
            optimizer.step()
    return time.perf_counter() - start


best = min(run() for _ in range(7))
print(
    f"training {'MLP 64-32-10':<20} {EPOCHS * SAMPLES / best:>10.0f} samples/s "
    f"(PyTorch {torch.__version__} CPU, {torch.get_num_threads()} threads, batch {BATCH})"
)
