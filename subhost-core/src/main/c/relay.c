/*
 * The log relay of subhost-init: the host side of a subhost's output.
 *
 *   subhost-init --log-relay [--name NAME] [--status-fd N --status-file-fd M] [--pid-fd P]
 *                [--cgroup-fd N] [--tasks-fd N]...
 *                [--log-max BYTES --rotated-fd R --log-dir-fd D --log-file NAME]
 *
 * The SDK starts it on the host, in the host's namespaces, from its own copy of this
 * program, with the read end of the pipe that pid 1's output (and so every service's)
 * goes to as descriptor 0 and LOG as descriptors 1 and 2; with --status-fd, the read end
 * of pid 1's status channel (services.c) and the file that keeps the states. It copies
 * each to its file until every writer has closed its pipe (the subhost has ended), then
 * exits. So no process of the subhost holds LOG, or any file of the host: they hold pipes
 * only.
 *
 * What it copies to LOG is made safe to read: the subhost writes what it likes, and an
 * administrator reads LOG on a terminal, or a log collector reads it line by line. Line
 * breaks and tabs stay; every other control character (C0, DEL, and the C1 controls
 * U+0080 to U+009F that some terminals obey), the line and paragraph separators U+2028
 * and U+2029, and every byte that is not UTF-8 become \xNN or \uNNNN. A character cut in
 * two by a read waits for its rest.
 *
 * With --log-max, LOG is bounded: when the next write would take it past BYTES, LOG and
 * its rotated file (LOG.1, descriptor R, both opened and checked by the SDK) change names
 * in one step (renameat2 with RENAME_EXCHANGE in LOG's directory, descriptor D), the file
 * that is LOG now is emptied and written on. So LOG.1 keeps the newest part before LOG,
 * and each holds at most BYTES of the relay's writes (a write is at most OUT_ROOM bytes
 * and never parts a character or its escape), twice BYTES together; no name is ever made anew, where
 * another user of a shared directory such as /tmp could have put a file first. When the
 * exchange fails (LOG.1 removed, a file system without it), LOG is emptied where it is,
 * once said in it: bounded either way. Whatever happens to LOG, the relay goes on reading
 * its pipe (what it cannot write is dropped), so that the subhost's services never block
 * on their output.
 *
 * It clones itself once at the start and the parent exits, so that the SDK reaps the parent
 * at once and the relay itself, a child of the host's init from then on, never waits as a
 * zombie of a long-lived JVM. The relay is born in the groups that --cgroup-fd and
 * --tasks-fd give (birth.h: the subhost's v2 and memory groups, where its memory is the
 * subhost's). With --pid-fd the parent first writes the relay's pid there, a line, and a
 * group that refuses the relay is told there as "!FD ERRNO".
 * It holds nothing but its descriptors and two buffers of 1 kB on its stack (CHUNK,
 * OUT_ROOM): no heap and no static buffer, so that what it keeps of its own (against musl)
 * is the one page of .data and .bss that the loader writes and two or three of stack; its
 * program's pages are the SDK's shared copy. The clone costs no page of its own: the parent
 * touches nothing before it that the relay would not touch. The status file is kept to
 * STATUS_LIMIT bytes: pid 1 writes a line per service and state, and nothing else can
 * write there.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "birth.h"
#include "subhost-init.h"
#include "util.h"

#define STATUS_LIMIT 65536
/*
 * What one read of a pipe takes, and how much escaped text waits for its write to LOG: small,
 * since the relay runs once per subhost and every page it touches stays its own. A read of
 * CHUNK bytes may become up to four times as much escaped text ("\xNN" for a byte): that
 * is written in pieces of at most OUT_ROOM bytes, each within LOG_MAX (make_room). A pipe
 * holds 64 kB, so a busy service costs more reads than with a larger chunk, never a block.
 */
#define CHUNK 1024
#define OUT_ROOM 1024
/* The longest escape of one input byte ("\xNN") or character ("\uNNNN" of two or three bytes). */
#define ESCAPE_MAX 6
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

/* LOG and its bound. */
struct log {
	int fd;          /* LOG now (also descriptors 1 and 2) */
	int rotated;     /* LOG.1, or -1 without --log-max */
	int dir;         /* LOG's directory */
	const char *name;
	char rotated_name[512];
	long max;        /* 0: no bound */
	long size;       /* what LOG holds, as far as we know (the SDK appends its own lines) */
	bool said;       /* the failed exchange is said once */
};

/* Writes all of buffer, or drops what cannot be written: the subhost must not block on LOG. */
static void write_all(int fd, const char *buffer, size_t length)
{
	for (size_t done = 0; done < length;) {
		ssize_t w = write(fd, buffer + done, length - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* LOG full, gone or unwritable: dropped */
		done += (size_t)w;
	}
}

/*
 * Makes room for `length` more bytes in LOG: when they would take it past the bound, LOG
 * and LOG.1 exchange names and the new LOG (the old LOG.1) is emptied; see the file comment.
 */
static void make_room(struct log *log, size_t length)
{
	if (log->max <= 0 || log->size + (long)length <= log->max)
		return;
	struct stat st;
	if (fstat(log->fd, &st) == 0)
		log->size = (long)st.st_size; /* the SDK's lines count too */
	if (log->size == 0 || log->size + (long)length <= log->max)
		return;
	if (syscall(SYS_renameat2, log->dir, log->name, log->dir, log->rotated_name, RENAME_EXCHANGE) == 0) {
		int older = log->fd;
		log->fd = log->rotated;
		log->rotated = older;
		dup2(log->fd, STDOUT_FILENO);
		dup2(log->fd, STDERR_FILENO);
	} else if (!log->said) {
		int error = errno;
		log->said = true;
		if (ftruncate(log->fd, 0) == 0)
			log->size = 0;
		say("LOG reached LOG_MAX (%ld bytes) and could not be rotated into %s: %s; LOG starts again,"
		    " its older part is lost", log->max, log->rotated_name, reason(error));
		if (fstat(log->fd, &st) == 0)
			log->size = (long)st.st_size;
		return;
	}
	if (ftruncate(log->fd, 0) != 0) {
		/* Not a regular file any more, or read-only: what follows is dropped or appended. */
	}
	log->size = 0;
}

/* Writes `length` bytes of text to LOG, within its bound. */
static void log_write(struct log *log, const char *text, size_t length)
{
	if (length == 0)
		return;
	make_room(log, length);
	write_all(log->fd, text, length);
	log->size += (long)length;
}

/*
 * The length of the UTF-8 character at text (at most `have` bytes there): 1 to 4; 0 when
 * those bytes are the start of a character that needs more; -1 when they are no UTF-8.
 * Overlong forms, surrogates and values past U+10FFFF are no UTF-8.
 */
static int utf8_length(const unsigned char *text, size_t have, unsigned *code)
{
	unsigned char c = text[0];
	int length;
	unsigned min;
	if (c < 0x80) {
		*code = c;
		return 1;
	} else if (c >= 0xc2 && c <= 0xdf) {
		length = 2, min = 0x80, *code = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		length = 3, min = 0x800, *code = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		length = 4, min = 0x10000, *code = c & 0x07;
	} else {
		return -1;
	}
	for (int i = 1; i < length; i++) {
		if ((size_t)i >= have)
			return 0;
		if ((text[i] & 0xc0) != 0x80)
			return -1;
		*code = (*code << 6) | (text[i] & 0x3f);
	}
	if (*code < min || *code > 0x10ffff || (*code >= 0xd800 && *code <= 0xdfff))
		return -1;
	return length;
}

/* Escaped text on its way to LOG. */
struct out {
	char bytes[OUT_ROOM];
	size_t length;
};

/*
 * Appends `length` bytes to out, writing out to LOG whenever it is full. A character (or its
 * escape) is never parted between two writes, so that a rotation of LOG between them leaves
 * each file whole characters: only a run of ASCII (`ascii`) is cut anywhere.
 */
static void put(struct log *log, struct out *out, const char *text, size_t length, bool ascii)
{
	while (length > 0) {
		size_t room = sizeof out->bytes - out->length;
		if (room == 0 || (!ascii && room < length)) {
			log_write(log, out->bytes, out->length);
			out->length = 0;
			room = sizeof out->bytes;
		}
		size_t n = length < room ? length : room;
		memcpy(out->bytes + out->length, text, n);
		out->length += n;
		text += n;
		length -= n;
	}
}

/* A byte that stands for itself in LOG: printable ASCII, a line break or a tab. */
static bool plain(unsigned char c)
{
	return (c >= 0x20 && c < 0x7f) || c == '\n' || c == '\t';
}

/*
 * Escapes `length` bytes of input to LOG through out; returns how many bytes it took. A
 * character cut at the end is left. With `end`, nothing is left (a cut character's bytes
 * become \xNN).
 */
static size_t escape(const unsigned char *in, size_t length, bool end, struct log *log, struct out *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0;
	while (i < length) {
		if (plain(in[i])) {
			size_t run = i + 1;
			while (run < length && plain(in[run]))
				run++;
			put(log, out, (const char *)in + i, run - i, true);
			i = run;
			continue;
		}
		unsigned code;
		char text[ESCAPE_MAX];
		int n = utf8_length(in + i, length - i, &code);
		if (n == 0 && !end)
			break;
		if (n <= 0) {
			text[0] = '\\', text[1] = 'x', text[2] = hex[in[i] >> 4], text[3] = hex[in[i] & 15];
			put(log, out, text, 4, false);
			i++;
		} else if ((code < 0x20 && code != '\n' && code != '\t') || code == 0x7f) {
			text[0] = '\\', text[1] = 'x', text[2] = hex[code >> 4], text[3] = hex[code & 15];
			put(log, out, text, 4, false);
			i++;
		} else if ((code >= 0x80 && code <= 0x9f) || code == 0x2028 || code == 0x2029) {
			text[0] = '\\', text[1] = 'u', text[2] = hex[code >> 12], text[3] = hex[(code >> 8) & 15];
			text[4] = hex[(code >> 4) & 15], text[5] = hex[code & 15];
			put(log, out, text, 6, false);
			i += (size_t)n;
		} else {
			put(log, out, (const char *)in + i, (size_t)n, false);
			i += (size_t)n;
		}
	}
	return i;
}

/* What is read from the output pipe and not written yet: the start of a cut character. */
struct pending {
	unsigned char bytes[CHUNK + 4];
	size_t length;
};

/* Copies what the output pipe has to LOG, escaped; false at end of file or on an error. */
static bool copy_output(int from, struct log *log, struct pending *p)
{
	ssize_t n;
	do {
		n = read(from, p->bytes + p->length, CHUNK);
	} while (n < 0 && errno == EINTR);
	bool end = n <= 0;
	if (n > 0)
		p->length += (size_t)n;
	struct out out;
	out.length = 0;
	size_t used = escape(p->bytes, p->length, end, log, &out);
	log_write(log, out.bytes, out.length);
	memmove(p->bytes, p->bytes + used, p->length - used);
	p->length -= used;
	return !end;
}

/* Copies what `from` has to `to` (at most `room` bytes of it, the rest is dropped); false at
 * end of file or on an error of `from`. */
static bool copy(int from, int to, long *room)
{
	char buffer[CHUNK];
	ssize_t n;
	do {
		n = read(from, buffer, sizeof buffer);
	} while (n < 0 && errno == EINTR);
	if (n <= 0)
		return false;
	size_t keep = *room < (long)n ? (size_t)*room : (size_t)n;
	*room -= (long)keep;
	write_all(to, buffer, keep);
	return true;
}

int relay_main(int argc, char **argv)
{
	int status_fd = -1, status_file = -1, pid_fd = -1;
	struct log log = { .fd = STDOUT_FILENO, .rotated = -1, .dir = -1, .name = NULL };
	struct birth birth = BIRTH_NONE;
	for (int i = 2; i < argc; i++) {
		int taken = birth_option(&birth, argc, argv, i);
		if (taken > 0) {
			i += taken - 1;
		} else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc && argv[i + 1][0] != '\0') {
			log_name = argv[++i];
		} else if (strcmp(argv[i], "--status-fd") == 0) {
			status_fd = (int)parse_number(argv[i], argv[i + 1], 1023);
			i++;
		} else if (strcmp(argv[i], "--pid-fd") == 0) {
			pid_fd = (int)parse_number(argv[i], argv[i + 1], 1023);
			i++;
		} else if (strcmp(argv[i], "--status-file-fd") == 0) {
			status_file = (int)parse_number(argv[i], argv[i + 1], 1023);
			i++;
		} else if (strcmp(argv[i], "--log-max") == 0) {
			log.max = parse_number(argv[i], argv[i + 1], 1L << 50);
			i++;
		} else if (strcmp(argv[i], "--rotated-fd") == 0) {
			log.rotated = (int)parse_number(argv[i], argv[i + 1], 1023);
			i++;
		} else if (strcmp(argv[i], "--log-dir-fd") == 0) {
			log.dir = (int)parse_number(argv[i], argv[i + 1], 1023);
			i++;
		} else if (strcmp(argv[i], "--log-file") == 0 && i + 1 < argc && argv[i + 1][0] != '\0'
			   && strchr(argv[i + 1], '/') == NULL) {
			log.name = argv[++i];
		} else {
			say("option (%s) is not known; usage: subhost-init --log-relay [--name NAME]"
			    " [--status-fd N --status-file-fd M] [--pid-fd P] [--cgroup-fd N] [--tasks-fd N]..."
			    " [--log-max BYTES --rotated-fd R --log-dir-fd D --log-file NAME]", argv[i]);
			exit(2);
		}
	}
	if ((status_fd < 0) != (status_file < 0)) {
		say("--status-fd and --status-file-fd go together");
		exit(2);
	}
	if (log.max > 0 && (log.rotated < 0 || log.dir < 0 || log.name == NULL)) {
		say("--log-max needs --rotated-fd, --log-dir-fd and --log-file");
		exit(2);
	}
	if (log.name != NULL
	    && snprintf(log.rotated_name, sizeof log.rotated_name, "%s.1", log.name) >= (int)sizeof log.rotated_name) {
		say("--log-file (%s) is too long", log.name);
		exit(2);
	}
	/* Born in its groups (birth.h); a refusal is told on --pid-fd. */
	birth.report_fd = pid_fd;
	pid_t pid = birth_clone(&birth, 0);
	if (pid < 0)
		exit(1);
	if (pid > 0) {
		if (pid_fd >= 0) {
			char text[16];
			int n = snprintf(text, sizeof text, "%d\n", (int)pid);
			if (write(pid_fd, text, (size_t)n) != n) {
				say("log relay: write its pid to fd %d: %s", pid_fd, reason(errno));
				kill(pid, SIGKILL);
				_exit(1);
			}
		}
		_exit(0);
	}
	if (pid_fd >= 0)
		close(pid_fd);
	birth_close(&birth);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	struct stat st;
	if (fstat(log.fd, &st) == 0)
		log.size = (long)st.st_size;
	struct pending pending;
	pending.length = 0;
	bool output = true, status = status_fd >= 0;
	long room = STATUS_LIMIT;
	while (output || status) {
		struct pollfd p[2] = { { output ? 0 : -1, POLLIN, 0 }, { status ? status_fd : -1, POLLIN, 0 } };
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			say("log relay: poll: %s", reason(errno));
			exit(1);
		}
		if (p[0].revents && !copy_output(0, &log, &pending))
			output = false;
		if (p[1].revents && !copy(status_fd, status_file, &room))
			status = false;
	}
	exit(0);
}
