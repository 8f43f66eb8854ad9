/*
 * zs_node_lock.c: one node per data folder. The node holds an flock on DATA_DIR/zsnode.lock
 * (which names its pid) from before it touches anything in the folder (its PostgreSQL,
 * its ipc socket) until it has stopped them; a second node on the same folder fails at
 * once and says which pid holds it. The kernel drops the lock when its holder dies, so a
 * killed node leaves nothing to clean up.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "zs_node_impl.h"

int
zs_node_lock(const char *dir, int *fd_out, char *err, size_t errlen)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/zsnode.lock", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;
		char pid[32] = "";
		ssize_t n = e == EWOULDBLOCK ? pread(fd, pid, sizeof pid - 1, 0) : -1;
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		if (e == EWOULDBLOCK)
			snprintf(err, errlen, "data.dir %s is in use by another zsnode (pid %s holds %s): "
			    "give each node its own data.dir", dir, pid[0] ? pid : "unknown", path);
		else
			snprintf(err, errlen, "cannot lock %s: %s", path, strerror(e));
		close(fd);
		return -1;
	}
	char pid[32];
	int len = snprintf(pid, sizeof pid, "%ld\n", (long) getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t) len, 0) != len) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	*fd_out = fd;
	return 0;
}

void
zs_node_unlock(int fd)
{
	if (fd >= 0)
		close(fd);   /* the lock goes with the last descriptor; the file stays */
}
