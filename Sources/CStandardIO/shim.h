#ifndef ONERING_CSTANDARDIO_SHIM_H
#define ONERING_CSTANDARDIO_SHIM_H

#include <stdio.h>

/// Makes standard output line-buffered, also into a file or a pipe, so progress reaches a
/// log as it happens. (Swift 6 cannot name the C global `stdout` outside the main actor.)
static inline void onering_line_buffer_stdout(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
}

#endif
