"""Rerun everything the documentation's reproduction page reports, and write what it includes.

Training runs: one row per run (configuration and seed) of ``doc/reproduce/results.csv``,
the page's table: the command that reruns it alone, the backend, the epochs, the
fit time (evaluation excluded), the running training error of the last epoch, and
the validation and test errors of ``predict`` (every image relaxed from zero until
it settles) and, for the paper's settings, at persistent particles of the
evaluation images as the paper's reference code measured them; per run, a CSV of
per-epoch records (``doc/reproduce/``) and a Figure-3-style plot (``doc/images/``).
Then the two benchmarks the page quotes, their output saved where it includes it:
``bench_epoch.py`` (``doc/reproduce/bench_epoch.txt``) and ``compare_mlp.py --fast``
(``doc/reproduce/compare_mlp.txt``, its CSV and figure).

    python benchmarks/reproduce_all.py                  # everything (about an hour with JAX)
    python benchmarks/reproduce_all.py --only table-1 --only code
    python benchmarks/reproduce_all.py --backend numpy  # the reference backend (slower)

Run nothing else meanwhile: the fit times are part of the page.
"""

import argparse
import csv
import importlib.util
import subprocess
import sys
import time
from pathlib import Path

from _common import REPO, load_data
from reproduce_paper import plot

from sk_eqprop._reproduce import reproduce

# name, architecture, preset, overrides, seeds, evaluate at particles too
RUNS = [
    ("table-1", "784-500-10", "table", {}, [0], True),
    ("code", "784-500-10", "code", {}, [0], True),
    ("code-zero-start", "784-500-10", "code", {"persistent_particles": False}, [0], True),
    ("fast-1", "784-500-10", "fast", {}, [0], False),
    ("fast-2", "784-500-500-10", "fast", {}, [0, 1], False),
    ("fast-3", "784-500-500-500-10", "fast", {}, [0, 1], False),
]
BENCHMARKS = ["speed", "compare"]

DESCRIPTIONS = {
    "table-1": "Table 1 as stated",
    "code": "the reference code's settings",
    "code-zero-start": "the reference code's settings, zero-start free phase",
    "fast-1": "fast_hyperparameters",
    "fast-2": "fast_hyperparameters",
    "fast-3": "fast_hyperparameters",
}

# The table's columns: key, and header as the page shows it.
COLUMNS = {
    "run": "run", "network": "network", "settings": "settings", "seed": "seed",
    "backend": "backend", "epochs": "epochs", "fit_s": "fit (s)", "train_err": "train (%)",
    "val_err": "val (%)", "test_err": "test (%)", "val_err_particles": "val at particles (%)",
    "test_err_particles": "test at particles (%)", "command": "command",
}


def command(arch, preset, overrides, seed, backend, particles):
    """The reproduce_paper.py command line of one run."""
    parts = ["python benchmarks/reproduce_paper.py", f"--arch {arch}"]
    if preset == "fast":
        parts.append("--fast")
    elif preset == "code":
        parts.append("--variant code")
    parts += [f"--set {key}={str(value).lower()}" for key, value in overrides.items()]
    if seed:
        parts.append(f"--random-state {seed}")
    if backend != "numpy":
        parts.append(f"--backend {backend}")
    if particles:
        parts.append("--particle-eval")
    return "``" + " ".join(parts) + "``"  # literal text in the page's table


def percent(value):
    return "" if value is None or value != value else f"{100 * value:.2f}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["numpy", "jax"], default=None,
                        help="default: jax where it is installed (the faster here)")
    parser.add_argument("--only", action="append", choices=[r[0] for r in RUNS] + BENCHMARKS,
                        help="rerun these only (the table keeps the other rows)")
    parser.add_argument("--data", help="path of mnist.pkl.gz (default: ../shared/data)")
    parser.add_argument("--out", default=str(REPO / "doc"), help="the documentation folder")
    parser.add_argument("--epochs", type=int, help="a quick check: this many epochs per run")
    parser.add_argument("--n-train", type=int, help="a quick check: the first N training images")
    args = parser.parse_args(argv)
    backend = args.backend or ("jax" if importlib.util.find_spec("jax") else "numpy")
    out = Path(args.out)
    (out / "reproduce").mkdir(parents=True, exist_ok=True)
    (out / "images").mkdir(parents=True, exist_ok=True)
    table = out / "reproduce" / "results.csv"
    rows = {}
    if table.exists():
        keys = {header: key for key, header in COLUMNS.items()}
        with open(table, newline="") as f:
            rows = {(r["run"], r["seed"]): {keys[h]: v for h, v in r.items()}
                    for r in csv.DictReader(f)}

    mnist = load_data(args.data)
    for name, arch, preset, overrides, seeds, particles in RUNS:
        if args.only and name not in args.only:
            continue
        for seed in seeds:
            params = dict(overrides, **({"backend": backend} if backend != "numpy" else {}))
            if args.epochs:
                params["max_iter"] = args.epochs
            print(f"--- {name} ({arch}, {DESCRIPTIONS[name]}), seed {seed}, {backend}",
                  flush=True)
            start = time.perf_counter()
            clf = reproduce(arch, preset, params=params, mnist=mnist, n_train=args.n_train,
                            random_state=seed, monitor_particles=particles)
            print(f"    {time.perf_counter() - start:.0f} s with evaluation", flush=True)
            history = clf.history_
            final = history[-1]
            stem = f"reproduce_{name}_seed{seed}"
            with open(out / "reproduce" / f"{stem}.csv", "w", newline="") as f:
                writer = csv.DictWriter(f, fieldnames=list(history[0]))
                writer.writeheader()
                writer.writerows(history)
            plot(history, f"{arch}, {DESCRIPTIONS[name]}, seed {seed}",
                 out / "images" / f"{stem}.png")
            rows[(name, str(seed))] = {
                "run": name, "network": arch, "settings": DESCRIPTIONS[name], "seed": seed,
                "backend": backend, "epochs": final["epoch"],
                "fit_s": f"{final['fit_seconds']:.0f}",
                "train_err": percent(final["train_error"]),
                "val_err": percent(final["val_error"]), "test_err": percent(final["test_error"]),
                "val_err_particles": percent(final.get("val_error_particles")),
                "test_err_particles": percent(final.get("test_error_particles")),
                "command": command(arch, preset, overrides, seed, backend, particles),
            }
            order = {(r[0], str(s)): i for i, r in enumerate(RUNS) for s in r[4]}
            with open(table, "w", newline="") as f:  # after every run: a partial table survives
                writer = csv.writer(f)
                writer.writerow(COLUMNS.values())
                for row in sorted(rows.values(),
                                  key=lambda r: order.get((r["run"], str(r["seed"])), 99)):
                    writer.writerow([row[key] for key in COLUMNS])
    print(f"wrote {table}")

    here = Path(__file__).resolve().parent
    data = ["--data", args.data] if args.data else []
    benchmarks = {
        "speed": ([str(here / "bench_epoch.py"), *data], "bench_epoch.txt"),
        "compare": ([str(here / "compare_mlp.py"), "--fast", "--epochs", "30", "--backend",
                     backend, "--out", str(out / "reproduce"), *data], "compare_mlp.txt"),
    }
    for name, (argv, filename) in benchmarks.items():
        if args.only and name not in args.only:
            continue
        print(f"--- {' '.join(Path(a).name if a.endswith('.py') else a for a in argv)}",
              flush=True)
        result = subprocess.run([sys.executable, *argv], capture_output=True, text=True,
                                check=True, cwd=REPO)
        lines = result.stdout.splitlines()
        # The summary: what follows the per-epoch or per-round progress lines.
        start = next((i for i, line in enumerate(lines) if not line.strip()), 0)
        summary = [line for line in lines[start:] if not line.startswith("wrote ")]
        (out / "reproduce" / filename).write_text("\n".join(summary).strip() + "\n")
        print(f"wrote {out / 'reproduce' / filename}", flush=True)


if __name__ == "__main__":
    main()
