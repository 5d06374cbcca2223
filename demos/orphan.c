/* orphan.c - not written yet. */
#include "config.h"

#include "proclab.h"

static const struct pl_demo demo = {
	.name = "orphan",
	.summary = "Not written yet.",
	.lesson = "05-orphan.md",
};

int
main(int argc, char *argv[])
{
	pl_demo_init(argc, argv, &demo);
	return pl_demo_finish();
}
