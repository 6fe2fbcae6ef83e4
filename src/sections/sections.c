/* SPDX-License-Identifier: MIT */
/* The section table: its order is the order of application. */
#include <assert.h>
#include <string.h>

#include "../kvmtune.h"

extern const struct section_ops sysctl_section;
extern const struct section_ops modules_section, conntrack_section, block_section, netdev_section;
extern const struct section_ops hugepages_section, ksm_section, thp_section, hugetlbfs_section;
extern const struct section_ops modparams_section;
extern const struct section_ops cpu_section, cmdline_section, isolation_section;

const struct section_ops *const section_table[N_SECTIONS] = {
        [SEC_HUGEPAGES] = &hugepages_section,
        [SEC_MODULES] = &modules_section,
        [SEC_SYSCTL] = &sysctl_section,
        [SEC_CONNTRACK] = &conntrack_section,
        [SEC_KSM] = &ksm_section,
        [SEC_THP] = &thp_section,
        [SEC_HUGETLBFS] = &hugetlbfs_section,
        [SEC_BLOCK] = &block_section,
        [SEC_NETDEV] = &netdev_section,
        [SEC_MODPARAMS] = &modparams_section,
        [SEC_CPU] = &cpu_section,
        [SEC_ISOLATION] = &isolation_section,
        [SEC_CMDLINE] = &cmdline_section,
};

int section_lookup(const char *name)
{
        for (int i = 0; i < N_SECTIONS; i++) {
                /* every section is in the table, named as setting.c's copy names it */
                assert(section_table[i] && !strcmp(section_table[i]->name, section_name(i)));
        }
        for (int i = 0; i < N_SECTIONS; i++)
                if (section_table[i] && !strcmp(section_table[i]->name, name))
                        return i;
        return -1;
}
