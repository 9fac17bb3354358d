#!/usr/bin/env python3
# Medians of docs/bench/ot_side.sh output: per run, EMP counts its slower party (wall and
# per CPU-second), gcc-nn its slower thread. Usage: python3 docs/bench/ot_side_medians.py side.txt
import re,sys,statistics as st
rows={}
for line in open(sys.argv[1]):
    m=re.match(r'EMP\[(.*?)\] (sender|receiver):\s+EMP IKNP COT (\d+) wall ([\d.e+]+) M/s cpu ([\d.e+]+) M/s',line)
    if m:
        tun,party,n,w,c=m.groups(); key=('EMP'+('+THP' if tun else ''),int(n))
        rows.setdefault(key,{}).setdefault(party,[]).append((float(w),float(c)))
        continue
    m=re.match(r'gcc-nn: IKNP COT (\d+): ([\d.]+) M/s wall, ([\d.]+) M/s per CPU',line)
    if m:
        n,w,c=m.groups(); rows.setdefault(('gcc-nn',int(n)),{}).setdefault('both',[]).append((float(w),float(c)))
res={}
for key,d in sorted(rows.items()):
    if 'both' in d: runs=d['both']
    else: runs=[(min(a[0],b[0]),min(a[1],b[1])) for a,b in zip(d['sender'],d['receiver'])]
    w=[r[0] for r in runs]; c=[r[1] for r in runs]
    res[key]=(st.median(w),st.median(c))
    print(f"{key[0]:8s} {key[1]:>8d}: {len(runs)} runs, median wall {st.median(w):.1f} M/s (min {min(w):.1f} max {max(w):.1f}), median per CPU-s {st.median(c):.1f}")
for n in (1048677,8388709):
    g=res[('gcc-nn',n)]
    for e in ('EMP','EMP+THP'):
        x=res[(e,n)]
        print(f"{n}: gcc-nn / {e}: wall {g[0]/x[0]:.2f}x, per CPU-s {g[1]/x[1]:.2f}x")
