// gcc-nn side-by-side (README, Garbling and OT): EMP's test_cot (emp-ot test/test.h) on passive IKNP, copied
// with one addition: the calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID) over the same
// timed region as test_cot's wall clock (send_cot / recv_cot + flush; the check is outside).
// Usage: iknp_cot_cpu PARTY PORT k1 k2 ... (2^k + 101 OTs, 3 reps each).
#include "test/test.h"
#include <time.h>
using namespace std;

static double thread_cpu_us() {
	timespec ts; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

template <typename T>
double test_cot_cpu(T * ot, NetIO *io, int party, int64_t length, double *cpu) {
	block *b0 = new block[length], *r = new block[length];
	bool *b = new bool[length];
	block delta;
	PRG prg;
	prg.random_block(&delta, 1);
	prg.random_bool(b, length);

	io->sync();
	double c0 = thread_cpu_us();
	auto start = clock_start();
	if (party == ALICE) {
		ot->send_cot(b0, length);
		delta = ot->Delta;
	} else {
		ot->recv_cot(r, b, length);
	}
	io->flush();
	long long t = time_from(start);
	*cpu = thread_cpu_us() - c0;
	if (party == ALICE) {
		io->send_block(&delta, 1);
		io->send_block(b0, length);
	}
	else if (party == BOB) {
		io->recv_block(&delta, 1);
		io->recv_block(b0, length);
		for (int64_t i = 0; i < length; ++i) {
			block b1 = b0[i] ^ delta;
			if (b[i]) {
				if (!cmpBlock(&r[i], &b1, 1))
					error("COT failed!");
			} else {
				if (!cmpBlock(&r[i], &b0[i], 1))
					error("COT failed!");
			}
		}
	}
	io->flush();
	delete[] b0;
	delete[] r;
	delete[] b;
	return t;
}

int main(int argc, char** argv) {
	int port, party;
	parse_party_and_port(argv, &party, &port);
	NetIO * io = new NetIO(party==ALICE ? nullptr:"127.0.0.1", port);
	IKNP<NetIO> * iknp = new IKNP<NetIO>(io);
	// Base OTs first (test_cot's first call would otherwise include them).
	{ block tmp[128]; bool c[128] = {0}; if (party == ALICE) iknp->send_cot(tmp, 128); else iknp->recv_cot(tmp, c, 128); io->flush(); }
	for (int i = 3; i < argc; ++i) {
		int64_t length = (int64_t(1) << atoi(argv[i])) + 101;
		for (int rep = 0; rep < 3; ++rep) {
			double cpu = 0;
			double t = test_cot_cpu<IKNP<NetIO>>(iknp, io, party, length, &cpu);
			cout << "EMP IKNP COT " << length << " wall " << double(length)/t << " M/s cpu " << double(length)/cpu << " M/s" << endl;
		}
	}
	delete iknp;
	delete io;
}
