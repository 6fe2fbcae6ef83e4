/* SPDX-License-Identifier: MIT */
/*
 * A stand-in for a guest in the [ksm] run = auto live tests: started with a
 * QEMU-like argv (the tests set argv[0] with `exec -a`), it holds -m MiB of
 * anonymous memory, every page touched so that it is resident, writes its
 * pid to the -pidfile file once it is, and waits to be killed.  Other
 * arguments (-enable-kvm, -accel kvm, ...) are there for whoever reads its
 * command line, and ignored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
        unsigned long mib = 0;
        const char *pidfile = NULL;
        char tmp[4096];
        FILE *f;

        for (int i = 1; i + 1 < argc; i++) {
                if (!strcmp(argv[i], "-m"))
                        mib = strtoul(argv[++i], NULL, 10);
                else if (!strcmp(argv[i], "-pidfile"))
                        pidfile = argv[++i];
        }
        if (mib) {
                size_t len = (size_t)mib << 20;
                char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

                if (p == MAP_FAILED) {
                        perror("memhold: mmap");
                        return 1;
                }
                for (size_t off = 0; off < len; off += 4096)
                        p[off] = (char)(off >> 12 | 1);
        }
        if (pidfile) {
                snprintf(tmp, sizeof(tmp), "%s.tmp", pidfile);
                f = fopen(tmp, "w");
                if (!f || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f) != 0 || rename(tmp, pidfile) < 0) {
                        perror("memhold: pidfile");
                        return 1;
                }
        }
        for (;;)
                pause();
}
