/* version.h — herd's version, stamped into every trace and JSON report. */
#ifndef HERD_VERSION_H
#define HERD_VERSION_H

const char *herd_version(void);

#endif
