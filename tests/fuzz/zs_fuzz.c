/* zs_fuzz.c: helpers the fuzz targets share (copies of the input, a scratch file). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zs_fuzz.h"

char *
zs_fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (s == NULL)
		return NULL;
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

char *
zs_fuzz_next_line(char *text)
{
	char *nl = strchr(text, '\n');
	if (nl == NULL)
		return text + strlen(text);
	*nl = '\0';
	return nl + 1;
}

static char fuzz_dir[64];
static char fuzz_path[128];

static void
fuzz_cleanup(void)
{
	if (fuzz_path[0] != '\0')
		unlink(fuzz_path);
	if (fuzz_dir[0] != '\0')
		rmdir(fuzz_dir);
}

const char *
zs_fuzz_temp_file(const uint8_t *data, size_t size, const char *suffix)
{
	if (fuzz_dir[0] == '\0') {
		const char *tmp = getenv("TMPDIR");
		snprintf(fuzz_dir, sizeof fuzz_dir, "%s/zsfuzz.XXXXXX", tmp && *tmp && strlen(tmp) < 40 ? tmp : "/tmp");
		if (mkdtemp(fuzz_dir) == NULL) {
			perror("mkdtemp");
			abort();
		}
		snprintf(fuzz_path, sizeof fuzz_path, "%s/input%s", fuzz_dir, suffix);
		atexit(fuzz_cleanup);
	}
	FILE *f = fopen(fuzz_path, "wb");
	if (f == NULL || (size > 0 && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
		perror(fuzz_path);
		abort();
	}
	return fuzz_path;
}
