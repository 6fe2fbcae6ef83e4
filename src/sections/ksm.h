/* SPDX-License-Identifier: MIT */
/*
 * [ksm], shared by ksm.c (the fixed knobs), ksm_auto.c (`run = auto`,
 * ksmtuned's policy decided afresh by each run of a timer-driven one-shot)
 * and ksm_knob.c below both (one knob read, checked and written).
 */
#pragma once
#include "../kvmtune.h"

struct ksm_entry {
        char *key;
        char *value;
        struct origin at;
        unsigned seq;           /* parse order: a later line or file has a higher one */
};

struct ksm_auto;

struct ksm_state {
        struct ksm_entry *e;
        size_t n;
        unsigned seq;
        struct ksm_auto *au;    /* the auto-* keys and this run's decision; NULL: none */
};

/* ksm_knob.c: read a knob's current value and decide ok/set/error, as for a fixed key */
void ksm_plan_knob(struct kvmtune *k, struct setting *s);
bool ksm_is_number(const char *s);      /* a plain unsigned number */

/* ksm_auto.c */
bool ksm_auto_key(const char *key);     /* auto-* */
bool ksm_auto_owns(const char *key);    /* a knob the policy writes */
int ksm_auto_parse(struct kvmtune *k, struct ksm_state *st, const char *key, const char *value,
                   struct origin at);
/* run: the effective `run = auto` entry; conflict: a fixed key that refuses the policy, or NULL */
void ksm_auto_plan(struct kvmtune *k, struct ksm_state *st, const struct ksm_entry *run,
                   const struct ksm_entry *conflict);
void ksm_auto_apply(struct kvmtune *k, struct ksm_state *st);
void ksm_auto_free(struct ksm_state *st);
