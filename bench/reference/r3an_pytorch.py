"""PyTorch reference for `npm run bench`: one R³AN training iteration (D, G, E, joint G+E steps, the
paper's schedule as src/train/trainers.ts runs it) and E(G(X)) inference, same networks and sizes
as src/nn/*.ts, on this machine's CPU. Not part of the project's runtime; it only gives the figure
the issue measures r3an against. Needs PyTorch (Debian: apt-get install python3-torch).

usage: python3 bench/reference/r3an_pytorch.py [--threads 2] [--batch 64] [--micro 64] [--iters 3]
"""
import argparse, statistics, time
import torch, torch.nn as nn, torch.nn.functional as F

FACE = 56
EPS, MOM = 1e-3, 0.01  # TF.js batch norm: epsilon 1e-3; momentum 0.99 is PyTorch's 0.01


def bn(c): return nn.BatchNorm2d(c, eps=EPS, momentum=MOM)


class Generator(nn.Module):
    # 1 → 4 → 7 → 14 → 28 → 56 (src/nn/generator.ts GENERATOR_LAYERS)
    def __init__(self, ds):
        super().__init__()
        layers, cin = [], ds
        for i, (c, k, s, p) in enumerate([(512, 4, 1, 0), (128, 4, 1, 0), (32, 4, 2, 1), (8, 4, 2, 1), (3, 4, 2, 1)]):
            last = i == 4
            layers.append(nn.ConvTranspose2d(cin, c, k, s, p, bias=last))
            if not last: layers += [bn(c), nn.ReLU()]
            cin = c
        self.net = nn.Sequential(*layers, nn.Tanh())
    def forward(self, x): return self.net(x[:, :, None, None])


def same_pad(n, k, s):
    total = max((-(-n // s) - 1) * s + k - n, 0)
    return (total // 2, total - total // 2)


class Discriminator(nn.Module):
    # stride-2 'same' convolutions 56 → 1, leaky ReLU 0.2, FC 1 (src/nn/discriminator.ts)
    def __init__(self):
        super().__init__()
        layers, cin, n = [], 3, FACE
        for c, k in [(4, 4), (8, 4), (16, 4), (32, 3), (64, 3), (128, 3)]:
            lo, hi = same_pad(n, k, 2)
            layers += [nn.ZeroPad2d((lo, hi, lo, hi)), nn.Conv2d(cin, c, k, 2), nn.LeakyReLU(0.2)]
            cin, n = c, -(-n // 2)
        self.net = nn.Sequential(*layers, nn.Flatten(), nn.Linear(128, 1))
    def forward(self, x): return self.net(x)


class Bottleneck(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        h = cin * 6
        self.net = nn.Sequential(nn.Conv2d(cin, h, 1, bias=False), bn(h), nn.ReLU6(),
                                 nn.ZeroPad2d(same_pad(56, 3, stride) * 2 if stride == 2 else (1, 1, 1, 1)),
                                 nn.Conv2d(h, h, 3, stride, groups=h, bias=False), bn(h), nn.ReLU6(),
                                 nn.Conv2d(h, cout, 1, bias=False), bn(cout))
        self.residual = stride == 1 and cin == cout
    def forward(self, x): return x + self.net(x) if self.residual else self.net(x)


class Extractor(nn.Module):
    # MobileNetV2 inverted residuals (src/nn/extractor.ts EXTRACTOR_BOTTLENECKS)
    def __init__(self, dt):
        super().__init__()
        blocks, cin = [], 3
        for c, s in [(32, 2), (64, 2), (96, 1), (160, 2), (320, 1)]:
            blocks.append(Bottleneck(cin, c, s)); cin = c
        self.net = nn.Sequential(*blocks, nn.Conv2d(cin, 1280, 1, bias=False), bn(1280), nn.ReLU6(),
                                 nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(1280, dt))
    def forward(self, x): return self.net(x)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--micro', type=int, default=0, help='micro-batch for gradient accumulation (0: the whole batch)')
    ap.add_argument('--iters', type=int, default=3)
    ap.add_argument('--map-batch', type=int, default=256)
    ap.add_argument('--dim', type=int, default=512)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    ds = dt = a.dim
    g, d, e = Generator(ds), Discriminator(), Extractor(dt)
    opt = {'d': torch.optim.Adam(d.parameters(), 2e-4, (0.5, 0.999)), 'g': torch.optim.Adam(g.parameters(), 2e-4, (0.5, 0.999)),
           'e': torch.optim.Adam(e.parameters(), 1e-3), 'reg': torch.optim.Adam(list(g.parameters()) + list(e.parameters()), 1e-3)}
    n, micro = a.batch, a.micro or a.batch
    x, y = torch.randn(n, ds), torch.randn(n, dt)
    faces = torch.rand(n, 3, FACE, FACE) * 2 - 1
    parts = [(x[i:i + micro], y[i:i + micro], faces[i:i + micro]) for i in range(0, n, micro)]

    def sub(kind, loss_of):
        opt[kind].zero_grad(set_to_none=True)
        for p in parts: (loss_of(*p) / n).backward()
        opt[kind].step()

    def iteration():
        sub('d', lambda x, y, f: F.softplus(-d(f)).sum() + F.softplus(d(g(x).detach())).sum())
        def g_loss(x, y, f):
            fake = g(x)
            return ((fake - f) ** 2).mean((1, 2, 3)).sum() + 0.01 * F.softplus(-d(fake)).sum()
        sub('g', g_loss)
        sub('e', lambda x, y, f: ((e(f) - y) ** 2).sum())
        sub('reg', lambda x, y, f: ((e(g(x)) - y) ** 2).sum())

    for m in (g, d, e): m.train()
    iteration()  # warm-up
    times = []
    for _ in range(a.iters):
        t = time.perf_counter(); iteration(); times.append(time.perf_counter() - t)
    s = statistics.median(times)
    print(f'pytorch {torch.__version__}, {a.threads} threads: train batch {n} (micro-batch {micro}): {s:.2f} s/iter, {n / s:.1f} samples/s')

    g.eval(); e.eval()
    xm = torch.randn(a.map_batch, ds)
    with torch.no_grad():
        e(g(xm))
        times = []
        for _ in range(a.iters):
            t = time.perf_counter(); e(g(xm)); times.append(time.perf_counter() - t)
    s = statistics.median(times)
    print(f'pytorch {torch.__version__}, {a.threads} threads: map batch {a.map_batch}: {a.map_batch / s:.0f} features/s')


if __name__ == '__main__':
    main()
