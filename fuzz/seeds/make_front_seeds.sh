#!/usr/bin/env bash
# Makes the seed corpora of dsl_check, bristol_fashion, binary_circuit, paillier_files and
# model_file from the project's own files. Each seed of a target with a selector byte
# starts with that byte (see the target's doc comment).
# Usage (from the repo root): fuzz/seeds/make_front_seeds.sh [path/to/gcc-nn]
set -euo pipefail
cd "$(dirname "$0")/../.."
gcc_nn="${1:-${CARGO_TARGET_DIR:-target}/debug/gcc-nn}"
seeds=fuzz/seeds
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# dsl_check: the shipped programs and two programs from the DSL tests.
mkdir -p "$seeds/dsl_check"
cp circuits/*.dsl "$seeds/dsl_check/"
printf 'const N = 3;\nfn f(a: int<8>, b: uint<4>) -> int<12> { min(a, b) << 2 }\ninput garbler x: int<8>;\ninput evaluator y: uint<4>;\nlet mut s: int<16> = 0;\nfor i in 0..N { s = s + f(x, y) * i; }\noutput o: int<16> = if x < 0 && y != 3 { s } else { -s >> 1 };\noutput b: bool = x == 5 ^ true;\n' >"$seeds/dsl_check/mixed.dsl"
printf 'input garbler x: fixed<16, 12>;\noutput y: fixed<16, 12> = x * 0.5;\n' >"$seeds/dsl_check/half.dsl"

# bristol_fashion (0 Fashion, 1 old format, 2 side file + "\n---\n" + circuit) and
# binary_circuit (0 as is, 1 the body without the envelope's header and checksum): compiled
# shipped programs.
mkdir -p "$seeds/bristol_fashion" "$seeds/binary_circuit"
for p in relu sigmoid; do
  "$gcc_nn" compile "circuits/$p.dsl" -o "$tmp/$p.bristol" 2>/dev/null
  "$gcc_nn" compile "circuits/$p.dsl" -o "$tmp/$p.bin" --format binary 2>/dev/null
  { printf '\x00'; cat "$tmp/$p.bristol"; } >"$seeds/bristol_fashion/$p"
  { printf '\x02'; cat "$tmp/$p.bristol.meta.json"; printf '\n---\n'; cat "$tmp/$p.bristol"; } \
    >"$seeds/bristol_fashion/${p}_meta"
  { printf '\x00'; cat "$tmp/$p.bin"; } >"$seeds/binary_circuit/$p"
  { printf '\x01'; tail -c +21 "$tmp/$p.bin" | head -c -32; } >"$seeds/binary_circuit/${p}_unsummed"
done
{ printf '\x01'; cat circuit/tests/data/bristol/bristol_format/adder_32bit.txt; } \
  >"$seeds/bristol_fashion/adder_32bit_old"
{ printf '\x00'; head -c 2048 circuit/tests/data/bristol/bristol_fashion/aes_128.txt; } \
  >"$seeds/bristol_fashion/aes_128_head"

# paillier_files and model_file: written by the crates' own encoders.
cargo run -q -p gcc-nn-paillier --example paillier_fuzz_seeds -- "$seeds/paillier_files"
cargo run -q -p gcc-nn-model --example model_fuzz_seeds -- "$seeds/model_file"
