/* SPDX-License-Identifier: MIT */
/* kvmtune: options -> context -> load -> plan -> apply -> report. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvmtune.h"

static void help(void)
{
        printf("Usage: kvmtune [OPTIONS] [apply|plan|verify|cat-config|revert|import [FILE...]]\n\n"
               "Put a KVM host's kernel into the state its conf.d snippets describe.\n\n"
               "Commands:\n"
               "  apply        apply every setting (default)\n"
               "  plan         show current, wanted and the action per setting\n"
               "  verify       like plan; exit 1 when the system differs\n"
               "  cat-config   print the effective configuration files\n"
               "  revert       put back the values kvmtune changed since boot\n"
               "  import       print a configuration from the host's rc.local, sysctl.conf,\n"
               "               fstab, grub, modprobe.d ... (or the FILEs given)\n\n"
               "Options:\n"
               "  --root DIR            take /proc, /sys, /etc, /run, /usr under DIR\n"
               "  --config-dir DIR      read DIR instead of the search path (repeatable)\n"
               "  --config FILE         read exactly FILE (repeatable)\n"
               "  --only SECTION[,...]  limit to these sections\n"
               "  --device NAME         only block/netdev/cpu settings for this device\n"
               "  --stage initrd|boot   what to apply at this stage of boot\n"
               "  --json                machine-readable report\n"
               "  --metrics FILE        plan/verify: write Prometheus metrics to FILE\n"
               "  -q, --quiet           only errors\n"
               "  -v, --verbose         more detail\n"
               "  -h, --help            this text\n"
               "  --version             version\n\n"
               "Sections:");
        for (int i = 0; i < N_SECTIONS; i++)
                if (section_table[i])
                        printf(" %s", section_table[i]->name);
        printf("\n\nSee kvmtune(8) and kvmtune.conf(5).\n");
}

__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...)
{
        va_list ap;

        fputs("kvmtune: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputs("\nTry 'kvmtune --help'.\n", stderr);
        return -EINVAL;
}

static int parse_only(struct kvmtune *k, const char *list)
{
        char *copy = xstrdup(list), *save = NULL;
        int r = 0;

        for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
                int sec = section_lookup(w);
                if (sec < 0) {
                        r = usage_error("--only: unknown section '%s'", w);
                        break;
                }
                k->only |= 1u << sec;
        }
        if (!r && !k->only)
                r = usage_error("--only: no section given");
        free(copy);
        return r;
}

static int parse_args(struct kvmtune *k, int argc, char **argv)
{
        enum { OPT_ROOT = 256, OPT_CONFIG_DIR, OPT_CONFIG, OPT_ONLY, OPT_DEVICE, OPT_STAGE,
               OPT_JSON, OPT_VERSION, OPT_METRICS };
        static const struct option options[] = {
                { "root", required_argument, NULL, OPT_ROOT },
                { "config-dir", required_argument, NULL, OPT_CONFIG_DIR },
                { "config", required_argument, NULL, OPT_CONFIG },
                { "only", required_argument, NULL, OPT_ONLY },
                { "device", required_argument, NULL, OPT_DEVICE },
                { "stage", required_argument, NULL, OPT_STAGE },
                { "json", no_argument, NULL, OPT_JSON },
                { "metrics", required_argument, NULL, OPT_METRICS },
                { "quiet", no_argument, NULL, 'q' },
                { "verbose", no_argument, NULL, 'v' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, OPT_VERSION },
                {},
        };
        static const char *const commands[] = {
                [CMD_APPLY] = "apply", [CMD_PLAN] = "plan", [CMD_VERIFY] = "verify",
                [CMD_CAT_CONFIG] = "cat-config", [CMD_REVERT] = "revert", [CMD_IMPORT] = "import",
        };
        const char *only = NULL;
        int c;

        while ((c = getopt_long(argc, argv, "qvh", options, NULL)) >= 0) {
                switch (c) {
                case OPT_ROOT:
                        k->root = optarg;
                        break;
                case OPT_CONFIG_DIR:
                        k->config_dirs = xgrow(k->config_dirs, k->n_config_dirs, sizeof(char *));
                        k->config_dirs[k->n_config_dirs++] = optarg;
                        break;
                case OPT_CONFIG:
                        k->config_files = xgrow(k->config_files, k->n_config_files, sizeof(char *));
                        k->config_files[k->n_config_files++] = optarg;
                        break;
                case OPT_ONLY:
                        only = optarg;
                        break;
                case OPT_DEVICE:
                        if (!*optarg || strchr(optarg, '/') || has_control_char(optarg) ||
                            !strcmp(optarg, ".") || !strcmp(optarg, ".."))
                                return usage_error("--device: invalid name '%s'", optarg);
                        k->device = optarg;
                        break;
                case OPT_STAGE:
                        if (!strcmp(optarg, "initrd"))
                                k->stage = STAGE_INITRD;
                        else if (!strcmp(optarg, "boot"))
                                k->stage = STAGE_BOOT;
                        else
                                return usage_error("--stage: expected initrd or boot, not '%s'", optarg);
                        break;
                case OPT_JSON:
                        k->json = true;
                        break;
                case OPT_METRICS:
                        if (!*optarg)
                                return usage_error("--metrics: no file given");
                        k->metrics = optarg;
                        break;
                case 'q':
                        k->quiet = true;
                        break;
                case 'v':
                        k->verbose = true;
                        break;
                case 'h':
                        help();
                        exit(EXIT_SUCCESS);
                case OPT_VERSION:
                        printf("kvmtune %s\n", KVMTUNE_VERSION);
                        exit(EXIT_SUCCESS);
                default:
                        return -EINVAL;
                }
        }
        if (optind < argc) {
                size_t i;
                for (i = 0; i < sizeof(commands) / sizeof(*commands); i++)
                        if (commands[i] && !strcmp(argv[optind], commands[i]))
                                break;
                if (i == sizeof(commands) / sizeof(*commands))
                        return usage_error("unknown command '%s'", argv[optind]);
                k->cmd = (enum command)i;
                optind++;
        }
        if (optind < argc && k->cmd != CMD_IMPORT)     /* import takes FILEs, left at argv[optind] */
                return usage_error("unexpected argument '%s'", argv[optind]);
        if (k->metrics && k->cmd != CMD_VERIFY && k->cmd != CMD_PLAN)
                return usage_error("--metrics works only with plan and verify");
        if (k->n_config_dirs && k->n_config_files)
                return usage_error("--config and --config-dir exclude each other");
        if (only && parse_only(k, only) < 0)
                return -EINVAL;
        if (k->device) {
                unsigned dev = (1u << SEC_BLOCK) | (1u << SEC_NETDEV) | (1u << SEC_CPU);
                k->only = k->only ? k->only & dev : dev;
                if (!k->only)
                        return usage_error("--device works only with block, netdev and cpu");
        }
        return 0;
}

/* kvmtune=0 on the kernel command line: the rescue switch */
static bool disabled_on_cmdline(struct kvmtune *k)
{
        char *cmdline = NULL;
        bool off = false;

        if (kernfs_read(k, "proc/cmdline", &cmdline) < 0)
                return false;
        for (char *save = NULL, *w = strtok_r(cmdline, " \t\n", &save); w;
             w = strtok_r(NULL, " \t\n", &save))
                if (!strcmp(w, "kvmtune=0"))
                        off = true;
                else if (!strcmp(w, "--"))
                        break;
        free(cmdline);
        return off;
}

int main(int argc, char **argv)
{
        struct kvmtune k = { .rootfd = -1, .kmsg_fd = -1, .argv = argv };
        int r;

        full_take_over(&k);

        if (parse_args(&k, argc, argv) < 0)
                return 2;
        kernfs_write_timeout(&k, KVMTUNE_WRITE_TIMEOUT);
        log_setup(&k);
        r = kernfs_open_root(&k);
        if (r < 0) {
                fprintf(stderr, "kvmtune: --root %s: %s\n", k.root, strerror(-r));
                return 2;
        }
        if ((k.cmd == CMD_APPLY || k.cmd == CMD_REVERT) && disabled_on_cmdline(&k)) {
                log_notice(&k, NULL, "disabled by kvmtune=0 on the kernel command line");
                return 0;
        }
        k.check_owner = !k.root && geteuid() == 0;
        if (k.cmd == CMD_IMPORT)
                return kvmtune_import(&k, argv + optind, (size_t)(argc - optind));

        return kvmtune_run(&k);
}
