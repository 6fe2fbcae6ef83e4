/* SPDX-License-Identifier: MIT */
/* The engine: load the configuration, plan every section, apply, report. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "kvmtune.h"

/*
 * Settings from different sections that claim one kernel object (a path, or
 * a second path they control): a configuration error, none of them applied.
 */
static void check_conflicts(struct kvmtune *k)
{
        struct strmap claims = { 0 };   /* path -> first claiming setting, not [sysctl] */
        struct strmap shared = { 0 };   /* path -> (void *)1: claimed by two sections */

        /*
         * [sysctl] keys are unique among themselves (one setting per path):
         * they are only looked up among the other sections' few claims,
         * which is what keeps this cheap at 10,000 keys.
         */
        for (int sysctl = 0; sysctl < 2; sysctl++)
                for (size_t i = 0; i < k->n_settings && (!sysctl || claims.n); i++) {
                        struct setting *s = k->settings[i];
                        const char *keys[2] = { s->path, get_more(s)->claim };

                        if ((s->section == SEC_SYSCTL) != sysctl)
                                continue;
                        for (size_t j = 0; j < 2; j++) {
                                struct setting *first;
                                bool found;
                                void **slot;

                                if (!keys[j])
                                        continue;
                                if (sysctl) {
                                        if (strmap_get(&claims, keys[j]))
                                                *strmap_slot(&shared, keys[j], &found) = (void *)1;
                                        continue;
                                }
                                slot = strmap_slot(&claims, keys[j], &found);
                                if (!found)
                                        *slot = s;
                                else if ((first = *slot)->section != s->section)
                                        *strmap_slot(&shared, keys[j], &found) = (void *)1;
                        }
                }
        /* the rare second pass: each claimant of a shared path names one of another section */
        for (size_t i = 0; shared.n && i < k->n_settings; i++) {
                struct setting *s = k->settings[i];
                const char *keys[2] = { s->path, get_more(s)->claim };

                for (size_t j = 0; j < 2; j++) {
                        struct setting *first;

                        if (!keys[j] || s->action == ACT_ERROR || !strmap_get(&shared, keys[j]))
                                continue;
                        first = strmap_get(&claims, keys[j]);
                        if (!first || first->section == s->section) {
                                for (size_t n = 0; n < k->n_settings; n++) {
                                        struct setting *o = k->settings[n];
                                        if (o->section != s->section &&
                                            ((o->path && !strcmp(o->path, keys[j])) ||
                                             (get_more(o)->claim && !strcmp(get_more(o)->claim, keys[j])))) {
                                                first = o;
                                                break;
                                        }
                                }
                        }
                        log_error(k, &s->at, "/%s is set both here ([%s]) and at %s:%u ([%s]): neither is applied",
                                  keys[j], section_table[s->section]->name, first->at.file,
                                  first->at.line, section_table[first->section]->name);
                        s->action = ACT_ERROR;
                        setting_set_note(s, xstrdup("conflicting setting"));
                }
        }
        strmap_free(&claims);
        strmap_free(&shared);
}

/*
 * Apply keeps each setting's file open from plan to write: the soft
 * RLIMIT_NOFILE goes up to the hard one, and fds are kept below it with
 * room to spare (beyond, a file is opened again at apply).
 */
static void raise_fd_limit(struct kvmtune *k)
{
        struct rlimit rl;

        k->fd_budget = 256;
        if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
                return;
        if (rl.rlim_cur < rl.rlim_max) {
                struct rlimit raised = { rl.rlim_max, rl.rlim_max };
                if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
                        rl = raised;
        }
        if (rl.rlim_cur > 64)
                k->fd_budget = rl.rlim_cur - 64 > 1 << 20 ? 1 << 20 : (int)(rl.rlim_cur - 64);
}

static void apply_all(struct kvmtune *k)
{
        for (int i = 0; i < N_SECTIONS; i++) {
                if (!section_enabled(k, i))
                        continue;
                if (section_table[i]->apply)
                        section_table[i]->apply(k);
                else
                        apply_settings(k, i);
        }
}

void kvmtune_free(struct kvmtune *k)
{
        kernfs_write_timeout(k, 0);     /* no alarm left pending */
        for (int i = 0; i < N_SECTIONS; i++)
                if (section_table[i] && section_table[i]->free)
                        section_table[i]->free(k);
        settings_free(k);
        kernfs_close_dirs(k);
        revert_free(k);
        config_free(k);
        free(k->config_dirs);
        free(k->config_files);
        k->config_dirs = NULL;
        k->config_files = NULL;
}

/*
 * apply --device (udev's run for one device): does a section of the run's
 * kinds name it?  When none does, there is nothing to read, lock or write.
 */
static bool device_named(struct kvmtune *k)
{
        for (int i = 0; i < N_SECTIONS; i++)
                if (section_enabled(k, i) && section_table[i]->names_device &&
                    section_table[i]->names_device(k, k->device))
                        return true;
        return false;
}

/* Returns the exit status. */
int kvmtune_run(struct kvmtune *k)
{
        bool differs = false, locked = false;
        int status;

        if (k->cmd == CMD_REVERT) {
                revert_run(k);
                kvmtune_free(k);
                return k->n_errors ? 1 : 0;
        }
        k->log_muted = k->config_reported;
        config_load(k);
        k->log_muted = false;
        if (k->cmd == CMD_APPLY && k->device && !device_named(k)) {
                log_debug(k, "%s: no section names this device: nothing to do", k->device);
                status = k->n_errors ? 1 : 0;
                kvmtune_free(k);
                return status;
        }
        if (linked_statically() && needs_shared_libraries(k))
                run_full(k);    /* returns only if it cannot */
        if (k->cmd == CMD_APPLY) {
                /* before plan: what is read and compared stays so until written */
                locked = revert_lock(k) == 0;
                raise_fd_limit(k);
        }
        if (k->cmd == CMD_CAT_CONFIG) {
                config_cat(k);
        } else {
                for (int i = 0; i < N_SECTIONS; i++)
                        if (section_enabled(k, i))
                                section_table[i]->plan(k);
                check_conflicts(k);
                plan_cross_writes(k);
                /* only what apply may write keeps its file open */
                for (size_t i = 0; i < k->n_settings; i++)
                        if (k->settings[i]->action != ACT_SET && !k->settings[i]->recheck)
                                setting_close(k->settings[i]);
                for (size_t i = 0; i < k->n_settings; i++)
                        if ((k->settings[i]->action == ACT_SET && !k->settings[i]->verify_met) ||
                            k->settings[i]->action == ACT_REBOOT)
                                differs = true;
                if (k->cmd == CMD_APPLY && locked)
                        apply_all(k);
                if (k->json)
                        report_json(k, stdout);
                else if (k->cmd != CMD_APPLY)
                        report_plan(k, stdout);
                if (k->metrics)
                        metrics_write(k, k->metrics);
        }
        fflush(stdout);
        status = k->n_errors ? 1 : k->cmd == CMD_VERIFY && differs ? 1 : 0;
        /*
         * the time and status of the last apply of the configuration, for
         * verify --metrics: not a part of it (--only: kvmtune-ksm.timer's
         * tick every minute would hide a boot apply that failed; --device:
         * the udev rule's runs)
         */
        if (k->cmd == CMD_APPLY && locked && !k->device && !k->only)
                metrics_note_apply(k, status);
        kvmtune_free(k);
        return status;
}
