/*
 * replay.c: the main() of a fuzz target built without libFuzzer (gcc): runs every file
 * named, or every file of every folder named, through LLVMFuzzerTestOneInput once, so the
 * seed corpus and the regression inputs are checked by every build's `make test`.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "zs_fuzz.h"

/* Targets that need setup define LLVMFuzzerInitialize; the others leave it NULL. */
#pragma weak LLVMFuzzerInitialize

static int
replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		perror(path);
		return -1;
	}
	size_t cap = 4096, len = 0, n;
	uint8_t *buf = malloc(cap);
	while (buf != NULL && (n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			uint8_t *more = realloc(buf, cap *= 2);
			if (more == NULL)
				free(buf);
			buf = more;
		}
	}
	fclose(f);
	if (buf == NULL) {
		fprintf(stderr, "%s: out of memory\n", path);
		return -1;
	}
	/* an exact-size copy, so ASan sees a read past the input as libFuzzer would */
	uint8_t *input = malloc(len ? len : 1);
	if (input == NULL) {
		free(buf);
		return -1;
	}
	memcpy(input, buf, len);
	free(buf);
	LLVMFuzzerTestOneInput(input, len);
	free(input);
	return 0;
}

static int
replay_path(const char *path, size_t *count)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		perror(path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return replay_file(path);
	}
	DIR *d = opendir(path);
	if (d == NULL) {
		perror(path);
		return -1;
	}
	int rc = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char sub[4096];
		snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
		if (replay_path(sub, count) != 0)
			rc = -1;
	}
	closedir(d);
	return rc;
}

int
main(int argc, char **argv)
{
	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	size_t count = 0;
	int rc = 0;
	for (int i = 1; i < argc; i++)
		if (replay_path(argv[i], &count) != 0)
			rc = 1;
	printf("%s: replayed %zu inputs\n", argv[0], count);
	return rc != 0 || count == 0;
}
