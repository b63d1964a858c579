#!/usr/bin/python3
"""Deep zoom: fractal-render against Fraktaler-3, side by side, on the six KF benchmark locations.

For each location (tests/data/locations/NAME.kfr, at its own Iterations) and each repeat, it runs
our renderer once per variant (a set of extra flags, e.g. "bla:" and "nobla:--no-bla") and core
count, then Fraktaler-3, alternating them within each repeat so that machine noise hits all alike:

  ours:  [taskset -c 0 | 0,1] mpirun --mca pml ob1 -np K build/fractal-render --location LOC.kfr
         --width N --height N --escape-radius 625 -o OUT.h5          (OMP_NUM_THREADS=1)
  F3:    F3_PRINT_NUMBER_TYPE=1 F3_NO_JITTER=1 F3_NPROCS=1 LD_PRELOAD=F3/nprocs_shim.so taskset -c 0
         F3/f3-src/fraktaler-3.cli -b -P -w wisdom-longdouble.toml LOC_N.f3.toml   (escape radius 625)

every one under /usr/bin/time (CPU s = user + sys) and `timeout`. Measured, as medians over the
repeats: the whole job's wall (process start to exit), and from our summary the reference orbit
time ("reference orbits computed in X s"), a BLA build time (the first "X s" on a line naming
BLA, if any) and the render time (the summary's "wall time", the rendering phase, excluding the
reference). Effective G iterations/s per core = sum of the per-pixel counts / (render s x cores)
for ours, / (CPU s) for Fraktaler-3 (its CPU time includes its reference and BLA tables).
"F3/ours" = Fraktaler-3's CPU s / our whole-job wall s on 1 core (> 1: we are faster).

Per-pixel check on repeat 1 of each location: our /counts frame 0 (interior = /frames/max_iter)
against Fraktaler-3's N channel (exr2npy; our count = N - 1025, N = 0xFFFFFFFF = not escaped):
fraction identical, within +-1, largest |difference|; and identical fractions between our
variants and between core counts.

Fraktaler-3 is built by ../shared/peers/fraktaler3/build-and-bench.sh (its README; beside the
checkout, or --peers DIR); --f3 is
its WORK dir. A variant our renderer rejects (exit 2 naming its option) is reported unsupported.
Exit: 0 all ran, 1 a run failed (crash, timeout or no output), 2 usage error.

Full size (Fraktaler-3 alone takes ~6 min of CPU per repeat for all six at 1024^2; plain
perturbation "--no-bla" at 1024^2 takes hours per location beyond 1e14, so give it smaller sizes
in a run of its own):
  /usr/bin/python3 tools/bench/deep_bench.py --build build --size 1024 --repeats 3 --cores 1,2 \\
      --variants bla: --json /tmp/deep-bench/full.json
  /usr/bin/python3 tools/bench/deep_bench.py --variants bla:,nobla:--no-bla --no-f3 \\
      --size 1e14:1024,5e113:512,1e50:256,4e533:128,5e227:64,1e1086:64 --repeats 1
Quick check: --locs 1e14,4e533 --size 1e14:128,64 --repeats 1
"""
import argparse
import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import time

import h5py
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LOCDIR = os.path.join(ROOT, 'tests', 'data', 'locations')
PEERS = os.path.join(os.path.dirname(ROOT), 'shared', 'peers', 'fraktaler3')  # --peers overrides
ALL_LOCS = ['1e14', '1e50', '5e113', '5e227', '4e533', '1e1086']
NOT_ESCAPED = 0xFFFFFFFF
F3_OFFSET = 1025  # F3: N = n + 1024, n = first iteration with |z| > R; ours: count = n - 1
OURS_ENV = {'OMP_NUM_THREADS': '1', 'OMPI_ALLOW_RUN_AS_ROOT': '1', 'OMPI_ALLOW_RUN_AS_ROOT_CONFIRM': '1'}
NUM = r'([0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)'


class UsageError(Exception):
    pass


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--build', default=os.path.join(ROOT, 'build'), help='our build dir (fractal-render)')
    p.add_argument('--f3', default='/tmp/peers', help="Fraktaler-3's build-and-bench.sh WORK dir")
    p.add_argument('--locs', default=','.join(ALL_LOCS), help='comma-separated location names')
    p.add_argument('--size', default='1024', help='N, or per location: 1e14:1024,5e113:512,64 (bare N = the rest)')
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--cores', default='1,2', help='our core counts (mpirun -np K, 1 thread each)')
    p.add_argument('--variants', default='bla:,nobla:--no-bla', help='NAME:FLAGS,... our flag sets')
    p.add_argument('--no-f3', action='store_true', help='skip Fraktaler-3')
    p.add_argument('--peers', default=PEERS, help="the Fraktaler-3 kit (kfr2toml.py, wisdom file)")
    p.add_argument('--json', help='write all figures here')
    p.add_argument('--work', default='/tmp/deep-bench', help='scratch dir for outputs and logs')
    p.add_argument('--timeout', type=int, default=7200, help='seconds per run (default 7200)')
    a = p.parse_args(argv)
    a.locs = [x for x in a.locs.split(',') if x]
    for loc in a.locs:
        if not os.path.isfile(os.path.join(LOCDIR, loc + '.kfr')):
            raise UsageError('no location %s in %s' % (loc, LOCDIR))
    sizes, default = {}, None
    for item in a.size.split(','):
        name, _, n = item.rpartition(':')
        if not n.isdigit() or int(n) < 1:
            raise UsageError('bad --size item %r' % item)
        if name:
            sizes[name] = int(n)
        else:
            default = int(n)
    missing = [loc for loc in a.locs if loc not in sizes and default is None]
    if missing:
        raise UsageError('--size gives no size for %s' % ','.join(missing))
    a.sizes = {loc: sizes.get(loc, default) for loc in a.locs}
    try:
        a.cores = [int(c) for c in a.cores.split(',') if c]
    except ValueError:
        raise UsageError('bad --cores %r' % a.cores)
    if not a.cores or min(a.cores) < 1 or a.repeats < 1:
        raise UsageError('--cores and --repeats must be positive')
    text, a.variants = a.variants, []
    for item in text.split(','):
        name, sep, flags = item.partition(':')
        if not sep or not name:
            raise UsageError('bad --variants item %r (want NAME:FLAGS)' % item)
        a.variants.append((name, shlex.split(flags)))
    a.render = os.path.join(os.path.abspath(a.build), 'fractal-render')
    if not os.access(a.render, os.X_OK):
        raise UsageError('no %s' % a.render)
    a.f3_bin = os.path.join(a.f3, 'f3-src', 'fraktaler-3.cli')
    if not a.no_f3:
        for f in (a.f3_bin, os.path.join(a.f3, 'nprocs_shim.so'), os.path.join(a.f3, 'exr2npy')):
            if not os.path.exists(f):
                raise UsageError('no %s (build Fraktaler-3 first, or --no-f3)' % f)
    return a


def read_kfr(loc):
    d = {}
    for line in open(os.path.join(LOCDIR, loc + '.kfr'), encoding='latin-1'):
        k, sep, v = line.strip().partition(': ')
        if sep:
            d.setdefault(k, v.strip())
    return d


def machine():
    info = {}
    for line in open('/proc/cpuinfo'):
        k, _, v = line.partition(':')
        k = k.strip()
        if k in ('model name', 'cpu family', 'model') and k not in info:
            info[k] = v.strip()
        if not line.strip() and info:
            break
    return info


def loadavg():
    return ' '.join(open('/proc/loadavg').read().split()[:3])


def remove_outputs(path):
    d, base = os.path.split(path)
    for f in os.listdir(d):
        if f == base or f.startswith(base + '.'):
            os.remove(os.path.join(d, f))


def timed(cmd, env, log, timeout):
    """Run cmd under /usr/bin/time and timeout; return rc, job wall, CPU s, max RSS kB, output."""
    tfile = log + '.time'
    full = ['/usr/bin/time', '-o', tfile, '-f', '%e %U %S %M', 'timeout', str(timeout)] + cmd
    t0 = time.perf_counter()
    with open(log, 'w') as f:
        rc = subprocess.call(full, stdout=f, stderr=subprocess.STDOUT, env=dict(os.environ, **env))
    wall = time.perf_counter() - t0
    cpu = rss = None
    try:
        last = open(tfile).read().split('\n')[-2].split()
        cpu, rss = float(last[1]) + float(last[2]), int(last[3])
    except (OSError, IndexError, ValueError):
        pass
    return rc, wall, cpu, rss, open(log, errors='replace').read()


def grab(pattern, text):
    m = re.search(pattern, text, re.M)
    return float(m.group(1)) if m else None


def parse_ours(text):
    bla_lines = [l.strip() for l in text.splitlines() if 'BLA' in l]
    bla = None
    for line in bla_lines:
        m = re.search(NUM + r'\s*s\b', line)
        if m:
            bla = float(m.group(1))
            break
    return {'reference_s': grab(r'reference orbits (?:computed|read from .*?) in ' + NUM + ' s', text),
            'render_s': grab(r'^\s*wall time\s+' + NUM + ' s', text),
            'iterations_reported': grab(r'^\s*iterations\s+' + NUM, text),
            'bla_s': bla, 'bla_lines': bla_lines}


def run_ours(a, loc, size, variant, cores, rep):
    name, flags = variant
    tag = '%s_%d_%s_np%d' % (loc, size, name, cores)
    out = os.path.join(a.work, 'ours', tag + ('.h5' if rep == 0 else '.r%d.h5' % rep))
    remove_outputs(out)
    cpus = ','.join(str(c) for c in range(cores))
    cmd = ['taskset', '-c', cpus, 'mpirun', '--mca', 'pml', 'ob1', '-np', str(cores), a.render,
           '--location', os.path.join(LOCDIR, loc + '.kfr'), '--width', str(size), '--height', str(size),
           '--escape-radius', '625', '-o', out] + flags
    log = os.path.join(a.work, 'logs', tag + '.r%d.log' % rep)
    rc, wall, cpu, rss, text = timed(cmd, OURS_ENV, log, a.timeout)
    r = {'renderer': 'ours', 'variant': name, 'cores': cores, 'loc': loc, 'size': size, 'repeat': rep,
         'rc': rc, 'job_wall_s': wall, 'cpu_s': cpu, 'maxrss_kB': rss, 'log': log, 'output': out}
    r.update(parse_ours(text))
    opts = [f for f in flags if f.startswith('-')]
    if rc == 2 and any(o.split('=')[0] in text for o in opts):
        r['status'] = 'unsupported'
        r['error'] = next((l for l in text.splitlines() if 'error' in l), text.strip()[-200:])
    elif rc != 0 or not os.path.isfile(out):
        r['status'] = 'failed'
        r['error'] = 'exit %d%s: %s' % (rc, ' (timeout)' if rc == 124 else '', text.strip()[-300:])
    else:
        r['status'] = 'ok'
    return r


def run_f3(a, loc, size, rep):
    tag = '%s_%d' % (loc, size)
    base = os.path.join(a.work, 'f3', tag + ('' if rep == 0 else '.r%d' % rep))
    params = base + '.f3.toml'
    with open(params, 'w') as f:
        subprocess.check_call(['/usr/bin/python3', os.path.join(a.peers, 'kfr2toml.py'),
                               os.path.join(LOCDIR, loc + '.kfr'), str(size), str(size), base, '625'], stdout=f)
    remove_outputs(base + '.exr')
    env = {'F3_PRINT_NUMBER_TYPE': '1', 'F3_NO_JITTER': '1', 'F3_NPROCS': '1',
           'LD_PRELOAD': os.path.join(a.f3, 'nprocs_shim.so')}
    cmd = ['taskset', '-c', '0', a.f3_bin, '-b', '-P', '-w', os.path.join(a.peers, 'wisdom-longdouble.toml'), params]
    log = os.path.join(a.work, 'logs', 'f3_%s.r%d.log' % (tag, rep))
    rc, wall, cpu, rss, text = timed(cmd, env, log, a.timeout)
    m = re.search(r'^number type: ([a-z0-9 ]*) \(', text, re.M)
    r = {'renderer': 'f3', 'variant': 'f3', 'cores': 1, 'loc': loc, 'size': size, 'repeat': rep, 'rc': rc,
         'job_wall_s': wall, 'cpu_s': cpu, 'maxrss_kB': rss, 'log': log, 'output': base + '.exr',
         'number_type': m.group(1) if m else None, 'status': 'ok'}
    if rc != 0 or not os.path.isfile(base + '.exr'):
        r['status'] = 'failed'
        r['error'] = 'exit %d%s: %s' % (rc, ' (timeout)' if rc == 124 else '', text.strip()[-300:])
    return r


def ours_counts(path):
    with h5py.File(path, 'r') as f:
        return f['counts'][0].astype(np.int64), int(f['frames/max_iter'][0])


def f3_counts(a, exr, max_iter):
    prefix = exr[:-4]
    subprocess.check_call([os.path.join(a.f3, 'exr2npy'), exr, prefix], stdout=subprocess.DEVNULL)
    n = np.load(prefix + '.N.npy').astype(np.int64)
    return np.where(n == NOT_ESCAPED, max_iter, n - F3_OFFSET)


def compare(x, y):
    if x.shape != y.shape:
        return {'error': 'shapes differ: %s vs %s' % (x.shape, y.shape)}
    d = np.abs(x - y)
    return {'identical': float((d == 0).mean()), 'within1': float((d <= 1).mean()), 'max_diff': int(d.max())}


def median(rows, key):
    v = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(v) if v else None


def fmt(v, spec='.3f'):
    return '-' if v is None else format(v, spec)


def summarise(runs, sums, f3_cpu):
    """Median figures per (location, renderer/variant, cores), in the order they first ran."""
    groups = {}
    for r in runs:
        groups.setdefault((r['loc'], r['variant'], r['cores']), []).append(r)
    rows = []
    for (loc, variant, cores), rs in groups.items():
        ok = [r for r in rs if r['status'] == 'ok']
        row = {'loc': loc, 'size': rs[0]['size'], 'renderer': rs[0]['renderer'], 'variant': variant,
               'cores': cores, 'runs': len(ok), 'status': rs[-1]['status'] if not ok else 'ok'}
        for k in ('job_wall_s', 'cpu_s', 'reference_s', 'bla_s', 'render_s'):
            row[k] = median(ok, k)
        s = sums.get((loc, variant, cores))
        t = row['cpu_s'] if row['renderer'] == 'f3' else row['render_s']
        row['sum_counts'] = s
        row['git_per_core'] = s / (t * cores) / 1e9 if s and t else None
        f3 = f3_cpu.get(loc)
        row['f3_over_ours'] = (f3 / row['job_wall_s'] if row['renderer'] == 'ours' and cores == 1 and f3
                               and row['job_wall_s'] else None)
        rows.append(row)
    return rows


def print_table(rows, iters):
    head = ('location', 'size', 'iters', 'run', 'cores', 'job s', 'CPU s', 'ref s', 'BLA s', 'render s',
            'Git/s/core', 'F3/ours')
    w = (8, 5, 8, 14, 5, 9, 9, 7, 7, 9, 10, 7)
    print('  '.join(h.rjust(n) for h, n in zip(head, w)))
    for r in rows:
        run = r['variant'] if r['renderer'] == 'f3' else 'ours-' + r['variant']
        if r['status'] != 'ok':
            cells = (r['loc'], r['size'], iters[r['loc']], run, r['cores'], r['status'])
            print('  '.join(str(c).rjust(n) for c, n in zip(cells, w)))
            continue
        cells = (r['loc'], r['size'], iters[r['loc']], run, r['cores'], fmt(r['job_wall_s'], '.2f'),
                 fmt(r['cpu_s'], '.2f'), fmt(r['reference_s']), fmt(r['bla_s']), fmt(r['render_s']),
                 fmt(r['git_per_core']), fmt(r['f3_over_ours'], '.2f'))
        print('  '.join(str(c).rjust(n) for c, n in zip(cells, w)))


def main(argv):
    try:
        a = parse_args(argv)
    except UsageError as e:
        print('deep_bench: error: %s' % e, file=sys.stderr)
        return 2
    for d in ('ours', 'f3', 'logs'):
        os.makedirs(os.path.join(a.work, d), exist_ok=True)
    cpu = machine()
    load_start = loadavg()
    print('# CPU: %s (family %s, model %s); %d CPUs; load average at start %s' % (
        cpu.get('model name'), cpu.get('cpu family'), cpu.get('model'), os.cpu_count(), load_start), flush=True)
    runs, sums, f3_cpu, comparisons, iters = [], {}, {}, {}, {}
    unsupported = {}
    failed = False
    for loc in a.locs:
        size = a.sizes[loc]
        iters[loc] = int(read_kfr(loc)['Iterations'])
        counts = {}
        for rep in range(a.repeats):
            jobs = [('ours', v, c) for v in a.variants for c in a.cores] + ([] if a.no_f3 else [('f3', None, 1)])
            for kind, variant, cores in jobs:
                if kind == 'ours' and variant[0] in unsupported:
                    continue
                r = run_ours(a, loc, size, variant, cores, rep) if kind == 'ours' else run_f3(a, loc, size, rep)
                runs.append(r)
                key = (loc, r['variant'], cores)
                print('%-6s %5d rep %d %-12s np%d %-11s job %7.2f s  CPU %s s  ref %s  BLA %s  render %s%s' % (
                    loc, size, rep + 1, r['renderer'] + '-' + r['variant'] if kind == 'ours' else 'f3', cores,
                    r['status'], r['job_wall_s'], fmt(r['cpu_s'], '.2f'), fmt(r.get('reference_s')),
                    fmt(r.get('bla_s')), fmt(r.get('render_s')),
                    ('  [%s]' % r['number_type']) if r.get('number_type') else ''), flush=True)
                if r['status'] == 'unsupported':
                    unsupported[variant[0]] = r['error']
                    print('  variant %s unsupported: %s' % (variant[0], r['error']), flush=True)
                    continue
                if r['status'] != 'ok':
                    failed = True
                    print('  FAILED: %s' % r['error'], flush=True)
                    continue
                if rep == 0:
                    try:
                        if kind == 'ours':
                            counts[key] = ours_counts(r['output'])[0]
                        else:
                            counts[key] = f3_counts(a, r['output'], iters[loc])
                        sums[key] = int(counts[key].sum())
                    except (OSError, KeyError, subprocess.CalledProcessError) as e:
                        failed = True
                        r['status'], r['error'] = 'failed', 'unreadable output: %s' % e
                        print('  FAILED: %s' % r['error'], flush=True)
                else:
                    remove_outputs(r['output'])
        comparisons[loc] = compare_location(loc, counts, a)
        f3_runs = [r for r in runs if r['loc'] == loc and r['renderer'] == 'f3' and r['status'] == 'ok']
        f3_cpu[loc] = median(f3_runs, 'cpu_s')
    load_end = loadavg()
    rows = summarise(runs, sums, f3_cpu)
    print('\n# medians of %d repeat(s); job = whole process wall; render = our summary\'s "wall time" '
          '(F3: Git/s from CPU s); F3/ours = F3 CPU s / our 1-core job s' % a.repeats)
    print_table(rows, iters)
    print('\n# per-pixel counts (repeat 1)')
    for loc, cmp in comparisons.items():
        for what, c in cmp.items():
            if 'error' in c:
                print('%-6s %-28s %s' % (loc, what, c['error']))
            else:
                print('%-6s %-28s identical %8.4f%%  within +-1 %8.4f%%  max |diff| %d' % (
                    loc, what, 100 * c['identical'], 100 * c['within1'], c['max_diff']))
    for name, err in unsupported.items():
        print('variant %s unsupported: %s' % (name, err))
    print('# load average at end %s' % load_end)
    if a.json:
        with open(a.json, 'w') as f:
            json.dump({'cpu': cpu, 'cpus': os.cpu_count(), 'load_start': load_start, 'load_end': load_end,
                       'argv': argv, 'sizes': a.sizes, 'iterations': iters, 'summary': rows, 'runs': runs,
                       'compare': comparisons, 'unsupported': unsupported}, f, indent=1)
    return 1 if failed else 0


def compare_location(loc, counts, a):
    """Ours (each variant, fewest cores) vs F3; other variants vs the first; other core counts vs the fewest."""
    out = {}
    c0 = min(a.cores)
    names = [v[0] for v in a.variants if (loc, v[0], c0) in counts]
    f3 = counts.get((loc, 'f3', 1))
    for n in names:
        if f3 is not None:
            out['ours-%s np%d vs f3' % (n, c0)] = compare(counts[(loc, n, c0)], f3)
    for n in names[1:]:
        out['ours-%s vs ours-%s' % (names[0], n)] = compare(counts[(loc, names[0], c0)], counts[(loc, n, c0)])
    for n in names:
        for c in a.cores:
            if c != c0 and (loc, n, c) in counts:
                out['ours-%s np%d vs np%d' % (n, c0, c)] = compare(counts[(loc, n, c0)], counts[(loc, n, c)])
    return out


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
