/* SPDX-License-Identifier: MIT */
/* The engine: load the configuration, plan every section, apply, report. */
#include <stdlib.h>

#include "kvmtune.h"

/* Settings from different sections that claim one kernel object: neither is applied. */
static void check_conflicts(struct kvmtune *k)
{
        struct strmap seen = { 0 };

        for (size_t i = 0; i < k->n_settings; i++) {
                struct setting *s = k->settings[i];
                const char *keys[2] = { s->path, s->claim };

                for (size_t j = 0; j < 2; j++) {
                        struct setting *other;
                        bool found;
                        void **slot;

                        if (!keys[j])
                                continue;
                        slot = strmap_slot(&seen, keys[j], &found);
                        if (!found) {
                                *slot = s;
                                continue;
                        }
                        other = *slot;
                        if (other->section == s->section || other == s)
                                continue;
                        log_error(k, &s->at, "/%s is set both here ([%s]) and at %s:%u ([%s]): neither is applied",
                                  keys[j], section_table[s->section]->name, other->at.file,
                                  other->at.line, section_table[other->section]->name);
                        other->action = s->action = ACT_ERROR;
                        free(other->note);
                        free(s->note);
                        other->note = xstrdup("conflicting setting");
                        s->note = xstrdup("conflicting setting");
                }
        }
        strmap_free(&seen);
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
        for (int i = 0; i < N_SECTIONS; i++)
                if (section_table[i] && section_table[i]->free)
                        section_table[i]->free(k);
        settings_free(k);
        revert_free(k);
        config_free(k);
        free(k->config_dirs);
        free(k->config_files);
        k->config_dirs = NULL;
        k->config_files = NULL;
}

/* Returns the exit status. */
int kvmtune_run(struct kvmtune *k)
{
        bool differs = false;

        if (k->cmd == CMD_REVERT) {
                revert_run(k);
                kvmtune_free(k);
                return k->n_errors ? 1 : 0;
        }
        config_load(k);
        if (k->cmd == CMD_CAT_CONFIG) {
                config_cat(k);
        } else {
                for (int i = 0; i < N_SECTIONS; i++)
                        if (section_enabled(k, i))
                                section_table[i]->plan(k);
                check_conflicts(k);
                for (size_t i = 0; i < k->n_settings; i++)
                        if (k->settings[i]->action == ACT_SET)
                                differs = true;
                if (k->cmd == CMD_APPLY) {
                        apply_all(k);
                        revert_save(k);
                }
                if (k->json)
                        report_json(k, stdout);
                else if (k->cmd != CMD_APPLY)
                        report_plan(k, stdout);
        }
        fflush(stdout);
        kvmtune_free(k);
        if (k->n_errors)
                return 1;
        return k->cmd == CMD_VERIFY && differs ? 1 : 0;
}
