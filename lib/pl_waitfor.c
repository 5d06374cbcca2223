/* pl_waitfor.c - being written (issue 4). */
#include "config.h"

#include "pl_waitfor.h"
