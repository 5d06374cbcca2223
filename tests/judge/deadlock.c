/* deadlock.c - two threads take two mutexes in opposite orders. */
#include <pthread.h>
#include <unistd.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;

static void *
other(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&b);
	usleep(50000);
	pthread_mutex_lock(&a);
	return NULL;
}

int
main(void)
{
	pthread_t t;

	pthread_create(&t, NULL, other, NULL);
	pthread_mutex_lock(&a);
	usleep(50000);
	pthread_mutex_lock(&b);
	pthread_join(t, NULL);
	return 0;
}
