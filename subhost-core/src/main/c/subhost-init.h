/*
 * What the parts of subhost-init share: its messages. Each .c file under src/main/c is one
 * mode or concern of the same static program (see subhost-init.c for pid 1).
 */
#ifndef SUBHOST_INIT_H
#define SUBHOST_INIT_H

/* The NAME in "subhost-init[NAME]: " before every line; "subhost" until --name is read. */
extern const char *log_name;

/* One line on standard error, as one write(2), prefixed with "subhost-init[NAME]: ". */
void say(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* "ENOENT (No such file or directory)": an errno's name and text, for messages. */
const char *reason(int error);

/* Parses a decimal number from 0 to max for option, or exits with status 2 (usage). */
long parse_number(const char *option, const char *text, long max);

/*
 * The enter mode (enter.c): a process that enters a running subhost from the host. Called
 * by main when argv[1] is "--enter"; never returns.
 */
int enter_main(int argc, char **argv) __attribute__((noreturn));

#endif
