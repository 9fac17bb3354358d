#!/bin/bash
# Correlated OT over loopback, gcc-nn's IKNP beside EMP-toolkit 0.3.0's, interleaved (README,
# "Garbling and OT"). Needs emp-tool and emp-ot 0.3.0 built and installed under $EMP_PREFIX
# (their own CMake flags: -march=native -O3) and the emp-ot source tree at $EMP_OT (for
# test/test.h). Each round: EMP (one process per party) without and with glibc's huge-page
# tunable, then gcc-nn's otprof; every line is one run of N OTs after the base OTs.
# Usage: EMP_PREFIX=... EMP_OT=... [ROUNDS=3] docs/bench/ot_side.sh > side.txt
set -e
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
: "${EMP_PREFIX:?set EMP_PREFIX}" "${EMP_OT:?set EMP_OT}"
E=${E:-$root/target/release/emp_iknp_cot_cpu}
if [ ! -x "$E" ]; then
  c++ -pthread -funroll-loops -Wno-ignored-attributes -Wno-unused-result -march=native -maes \
    -mrdseed -std=c++11 -O3 -DNDEBUG -I"$EMP_OT" -I"$EMP_PREFIX/include" \
    "$here/emp_iknp_cot_cpu.cpp" -o "$E" -Wl,-rpath,"$EMP_PREFIX/lib" \
    "$EMP_PREFIX/lib/libemp-tool.so" -lssl -lcrypto
fi
(cd "$root" && cargo build --release -p gcc-nn-runtime --example otprof)
O=$root/target/release/examples/otprof
for round in $(seq "${ROUNDS:-3}"); do
  echo "== round $round $(uptime)"
  for tun in "" "glibc.malloc.hugetlb=1"; do
    port=$((24000 + RANDOM % 1000))
    (GLIBC_TUNABLES=$tun nice -n 15 "$E" 1 $port 20 23 > /tmp/ot_side_a.txt 2>&1 &)
    sleep 0.3
    GLIBC_TUNABLES=$tun nice -n 15 "$E" 2 $port 20 23 > /tmp/ot_side_b.txt 2>&1
    sleep 0.5
    grep EMP /tmp/ot_side_a.txt | sed "s/^/EMP[$tun] sender:   /"
    grep EMP /tmp/ot_side_b.txt | sed "s/^/EMP[$tun] receiver: /"
  done
  for n in 1048677 8388709; do nice -n 15 "$O" $n 3 | sed "s/^/gcc-nn: /"; done
done
echo "== end $(uptime)"
