/* The initramfs into a tmpfs, as switch_root(8) does. */
#ifndef CORRAL_SWITCHROOT_H
#define CORRAL_SWITCHROOT_H

#include "err.h"

/* Copies the initramfs at / (ramfs or tmpfs holding /init) into a tmpfs
 * mounted on newroot, empties the initramfs, moves the tmpfs onto / and
 * chroots into it. A failed copy leaves the initramfs whole; after a
 * failure of the final switch only an exec of the copy helps. */
int switchroot_tmpfs(const char *newroot, struct err *e);

#endif
