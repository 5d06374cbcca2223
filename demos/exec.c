/* exec.c - not written yet. */
#include "config.h"

#include "proclab.h"

static const struct pl_demo demo = {
	.name = "exec",
	.summary = "Not written yet.",
	.lesson = "02-exec.md",
};

int
main(int argc, char *argv[])
{
	pl_demo_init(argc, argv, &demo);
	return pl_demo_finish();
}
