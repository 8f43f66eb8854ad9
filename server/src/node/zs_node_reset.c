/* zs_node_reset.c: `zsnode --reset-admin-password`: the new password from stdin (one line;
 * not echoed when stdin is a terminal), set offline on the node's own data folder, which
 * a running node holds locked. The way back in when the admin password is lost. */
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "zs_node_impl.h"

/* One line of stdin into buf, without its newline; -1 on end of input. */
static int
reset_read_password(char *buf, size_t len)
{
	struct termios old, quiet;
	int tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	if (tty) {
		fputs("new admin password: ", stderr);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t) ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	char *line = fgets(buf, (int) len, stdin);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (line == NULL)
		return -1;
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

int
zs_node_reset_main(zs_node *node)
{
	char password[1024], uuid[64], err[1024] = "";
	if (reset_read_password(password, sizeof password) != 0) {
		fprintf(stderr, "zsnode: --reset-admin-password reads the new password from stdin, "
		    "one line: none came\n");
		return 1;
	}
	int rv = zs_node_reset_admin_password(node, password, uuid, sizeof uuid, err, sizeof err);
	sodium_memzero(password, sizeof password);
	if (rv != 0) {
		fprintf(stderr, "zsnode: the admin password is not reset: %s (the reset runs on a stopped node's data folder, with its -c/--set)\n", err);
		return 1;
	}
	printf("zsnode: the password of account admin (uuid %s) is reset and its sessions are "
	    "ended; start the node and log in with: zsctl login admin\n", uuid);
	return 0;
}
