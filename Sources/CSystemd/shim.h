#ifndef EMBARGO_CSYSTEMD_SHIM_H
#define EMBARGO_CSYSTEMD_SHIM_H

/* libsystemd: journal writing and reading, sd_notify, 128-bit ids. */
#include <systemd/sd-journal.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-id128.h>
#include <sys/uio.h>

/* Linux interfaces the daemon needs beside libsystemd that Swift's Glibc module leaves out:
   timerfd (wake at a wall-clock instant, told when the clock is set) and malloc_trim (give
   memory back after a scan). */
#include <sys/timerfd.h>
#include <malloc.h>

#endif
