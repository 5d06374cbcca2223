/* pl_board.h - being written (issue 4). */
#ifndef PL_BOARD_H
#define PL_BOARD_H

#endif /* PL_BOARD_H */
