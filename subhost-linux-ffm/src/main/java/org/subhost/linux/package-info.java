/**
 * Linux system calls through the Foreign Function and Memory API, with errno captured per
 * call. Main types: {@link org.subhost.linux.SyscallException} (a kernel refusal, naming the
 * call, its arguments and the errno) and {@link org.subhost.linux.Errno}.
 */
package org.subhost.linux;
