#!/bin/sh
# Prints the x86 (i386), x86_64 and x32 system call numbers by name, a line
# "NAME X86 X86_64 X32" each ("-" for none, "=" for an X32 equal to
# X86_64), for lib/seccomp.c (the
# Makefile embeds them deflated in build/gen/syscalls.h). The source is
# the table libseccomp itself is built from (src/syscalls.csv of its
# source package in $1/src), so that a profile compiled at run time names
# the same calls as the one compiled with libseccomp at build time. Kept:
# every name with a number on one of the three, and the socket and IPC
# calls that x86 only reaches through socketcall(2) and ipc(2).
set -eu
csv=$(ls "${1:-build/deps}"/src/libseccomp-*/src/syscalls.csv | head -n1)
awk -F, '
BEGIN {
	split("socket bind connect listen accept getsockname getpeername socketpair send recv " \
	      "sendto recvfrom shutdown setsockopt getsockopt sendmsg recvmsg accept4 recvmmsg " \
	      "sendmmsg semop semget semctl semtimedop msgsnd msgrcv msgget msgctl shmat shmdt " \
	      "shmget shmctl", m, " ")
	for (i in m) mux[m[i]] = 1
}
/^#/ { next }
{
	x86 = $2 == "PNR" ? "-" : $2; x64 = $3 == "PNR" ? "-" : $3; x32 = $4 == "PNR" ? "-" : $4
	if (x86 == "-" && x64 == "-" && x32 == "-" && !($1 in mux)) next
	print $1, x86, x64, (x32 == x64 && x32 != "-") ? "=" : x32
}' "$csv"
