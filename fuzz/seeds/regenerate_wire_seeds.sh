#!/usr/bin/env bash
# Rewrites the seeds of the wire fuzz targets from honest runs recorded by the tests (never by
# hand), after a change of a wire format: session_wire (session handshake, job request),
# fast_wire (pairing, setup, image header), bridge_wire, runtime_evaluator/garbler (the GC
# handshake), upload_file and share_file (the fast_wire fixture's files). Each test replays
# what it writes and checks the honest result, so a seed that no longer decodes fails there.
# Usage (from anywhere): fuzz/seeds/regenerate_wire_seeds.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
SESSION_WIRE_SEEDS="$PWD/fuzz/seeds/session_wire" \
  cargo test -p gcc-nn-protocol --test it -- session_decoders::honest_transcripts
GCC_NN_WRITE_FUZZ_SEEDS=1 cargo test -p gcc-nn-protocol --test it -- \
  fast_wire::honest_transcripts bridge_wire::recorded_transcripts
GCC_NN_WRITE_FUZZ_SEEDS=1 cargo test -p gcc-nn-runtime --test it -- \
  hostile_peer::recorded_transcripts
git status --short fuzz/seeds
