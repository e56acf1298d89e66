/* pprof output (`go tool pprof`, Pyroscope, Grafana): a gzip-compressed perftools.profiles.Profile protobuf. */
#ifndef WRITER_PPROF_H
#define WRITER_PPROF_H

#include <stdio.h>
#include "profile_view.h"

/* Writes the view as one gzip member holding a Profile: sample types samples/count and cpu/nanoseconds (each
 * stack's count and count * nanos_per_sample, e.g. 1e9 / frequency; for a wall or off-CPU view wall or off_cpu in
 * microseconds and nanoseconds, nanos_per_sample 1000), one Location per view frame, one Function
 * per distinct (name, file). Returns 0, -EINVAL (nanos_per_sample not > 0), -ENOMEM or -EIO. */
int pprof__write(const struct profile_view *v, double nanos_per_sample, FILE *out);

#endif
