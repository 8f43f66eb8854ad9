/* main.c: the zsnode binary; libzscore does the work (zs_node_main in zs/node.h). */
#include "zs/node.h"

int
main(int argc, char **argv)
{
	return zs_node_main(argc, argv);
}
