#ifndef ONERING_CLIBPQ_SHIM_H
#define ONERING_CLIBPQ_SHIM_H

// libpq from Debian's libpq-dev (/usr/include/postgresql). ProfileStore is the
// only module that imports it.
#include <postgresql/libpq-fe.h>

#endif
