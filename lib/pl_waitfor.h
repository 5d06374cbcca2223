/* pl_waitfor.h - being written (issue 4). */
#ifndef PL_WAITFOR_H
#define PL_WAITFOR_H

#endif /* PL_WAITFOR_H */
