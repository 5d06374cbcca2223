/* pl_board.c - being written (issue 4). */
#include "config.h"

#include "pl_board.h"
