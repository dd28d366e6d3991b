/* mkcpio: writes a newc cpio archive (the initramfs format) to stdout from
 * a list on stdin, one entry a line, owned by root, mtime 0:
 *   dir PATH MODE
 *   file PATH SOURCE MODE
 *   slink PATH TARGET
 *   nod PATH MODE c|b MAJOR MINOR
 * MODE is octal. PATH has no leading slash. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

static unsigned long long off;
static unsigned ino = 300;

static void out(const void *p, size_t n)
{
	if (n && fwrite(p, 1, n, stdout) != n) {
		perror("mkcpio: write");
		exit(1);
	}
	off += n;
}

static void pad4(void)
{
	static const char z[4];
	out(z, (4 - off % 4) % 4);
}

static void header(const char *name, unsigned mode, unsigned nlink, unsigned long size,
		   unsigned rmaj, unsigned rmin)
{
	char h[160];
	size_t nl = strlen(name) + 1;
	snprintf(h, sizeof(h), "070701%08X%08X%08X%08X%08X%08X%08lX%08X%08X%08X%08X%08zX%08X",
		 ino++, mode, 0u, 0u, nlink, 0u, size, 0u, 0u, rmaj, rmin, nl, 0u);
	out(h, 110);
	out(name, nl);
	pad4();
}

static void file(const char *name, const char *src, unsigned mode)
{
	int fd = open(src, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "mkcpio: %s: ", src);
		perror(NULL);
		exit(1);
	}
	header(name, S_IFREG | mode, 1, (unsigned long)st.st_size, 0, 0);
	char buf[65536];
	ssize_t n;
	unsigned long long left = (unsigned long long)st.st_size;
	while (left && (n = read(fd, buf, sizeof(buf))) > 0) {
		if ((unsigned long long)n > left)
			n = (ssize_t)left;
		out(buf, (size_t)n);
		left -= (unsigned long long)n;
	}
	close(fd);
	if (left) {
		fprintf(stderr, "mkcpio: %s: changed while read\n", src);
		exit(1);
	}
	pad4();
}

int main(void)
{
	char line[8192], a[4096], b[4096], c[64];
	unsigned mode, maj, min;
	int lineno = 0;

	while (fgets(line, sizeof(line), stdin)) {
		lineno++;
		line[strcspn(line, "\n")] = 0;
		if (!line[0] || line[0] == '#')
			continue;
		if (sscanf(line, "dir %4095s %o", a, &mode) == 2) {
			header(a, S_IFDIR | mode, 2, 0, 0, 0);
		} else if (sscanf(line, "file %4095s %4095s %o", a, b, &mode) == 3) {
			file(a, b, mode);
		} else if (sscanf(line, "slink %4095s %4095s", a, b) == 2) {
			header(a, S_IFLNK | 0777, 1, strlen(b), 0, 0);
			out(b, strlen(b));
			pad4();
		} else if (sscanf(line, "nod %4095s %o %63s %u %u", a, &mode, c, &maj, &min) == 5 &&
			   (!strcmp(c, "c") || !strcmp(c, "b"))) {
			header(a, (c[0] == 'c' ? S_IFCHR : S_IFBLK) | mode, 1, 0, maj, min);
		} else {
			fprintf(stderr, "mkcpio: line %d: cannot parse '%s'\n", lineno, line);
			return 1;
		}
	}
	header("TRAILER!!!", 0, 1, 0, 0, 0);
	pad4();
	while (off % 512)
		out("", 1);
	return fflush(stdout) ? 1 : 0;
}
