/* exitcode.h — herd's exit statuses (sysexits), the contract with users and CI. */
#ifndef HERD_EXITCODE_H
#define HERD_EXITCODE_H

enum herd_exit {
    HERD_EXIT_OK = 0,        /* every expectation met */
    HERD_EXIT_FAIL = 1,      /* an expectation (or property) not met */
    HERD_EXIT_USAGE = 64,    /* bad command line */
    HERD_EXIT_DATAERR = 65,  /* invalid scenario, model or trace */
    HERD_EXIT_SOFTWARE = 70, /* internal error */
    HERD_EXIT_IOERR = 74,    /* I/O error */
};

#endif
