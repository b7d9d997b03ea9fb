/* model/promela/herd.pml — a second, independent model of herd's reconnect/resume
 * protocol, written from docs/protocol.md (not from src/), for SPIN. It owns: the
 * abstract world (NC clients that publish NM messages each and subscribe to the one
 * room, one server with a session per client, one stream store with its dedup index),
 * the faults (server crash, connection drop, frame duplicate, store crash), the
 * protocol variants selected with -D macros, and the properties I1..I8 and L1 of
 * docs/protocol.md as assertions. tests/spin_agree.sh compiles it once per variant and
 * compares SPIN's verdict with `herd check` on the matching traces/models/*.yaml;
 * model/promela/README.md says what is abstracted and how to run it by hand.
 *
 * Variants (at most one):    -DACK_BEFORE_PERSIST -DDEDUP_NONE -DRESEND_OFF
 *                            -DFORGET_UNACKED -DNO_GAP_DETECTION
 * Store:                     -DAOF_EVERYSEC (durable at an fsync step; default aof_always)
 * World:                     -DNC=clients -DNM=messages per client -DMAXLEN=entries kept
 * Fault budgets:             -DDROPS= -DDUPS= -DCRASHES= -DSTORE_CRASHES=
 * Properties left out:       -DNO_I1 ... -DNO_I8, -DNO_L1 (like check.properties)
 * Compile pan with -DNP and run `./pan -l`: L1 is both "no cycle" (the non-progress
 * cycle search: every cycle is a fault-free run that never comes to rest) and the
 * checks at rest (check_state()).
 */

#ifndef NC
#define NC 2
#endif
#ifndef NM
#define NM 1
#endif
#ifndef MAXLEN
#define MAXLEN 8
#endif
#ifndef DROPS
#define DROPS 0
#endif
#ifndef DUPS
#define DUPS 0
#endif
#ifndef CRASHES
#define CRASHES 0
#endif
#ifndef STORE_CRASHES
#define STORE_CRASHES 0
#endif

#if NC < 1 || NC > 3 || NM < 1 || NM > 2
#error "herd.pml models 1..3 clients with 1..2 messages each"
#endif

#define NMSG   (NC * NM)      /* message ids 0 .. NMSG-1: client c's k-th is c*NM + k */
#define MAXE   8              /* stream ids 1 .. MAXE-1 (0 = "0-0", before the first) */
/* Channel capacities: what one connection can hold in these worlds (a RESUME and each
 * message once; ACKs, a replay and fan-out of every entry; requests of dead sessions
 * that still wait at the store). A send to a full channel would block silently, so
 * every send asserts room first (I7), which is how a world too big for them shows. */
#define QC2S   (NM + 1)
#define QS2C   (3 * NMSG + 3)
#define QREQ   (3 * NM + 1)

/* ---- properties: CHECK(Px, condition) is an assertion named by its property; a
 * property left out (-DNO_Px) is not checked anywhere. pan prints the name. */
hidden byte I1 = 1; hidden byte I2 = 1; hidden byte I3 = 1; hidden byte I4 = 1;
hidden byte I5 = 1; hidden byte I6 = 1; hidden byte I7 = 1; hidden byte I8 = 1;
hidden byte L1 = 1;
#ifdef NO_I1
#define CHECK_I1(e) skip
#else
#define CHECK_I1(e) assert(I1 && (e))
#endif
#ifdef NO_I2
#define CHECK_I2(e) skip
#else
#define CHECK_I2(e) assert(I2 && (e))
#endif
#ifdef NO_I3
#define CHECK_I3(e) skip
#else
#define CHECK_I3(e) assert(I3 && (e))
#endif
#ifdef NO_I4
#define CHECK_I4(e) skip
#else
#define CHECK_I4(e) assert(I4 && (e))
#endif
#ifdef NO_I5
#define CHECK_I5(e) skip
#else
#define CHECK_I5(e) assert(I5 && (e))
#endif
#ifdef NO_I6
#define CHECK_I6(e) skip
#else
#define CHECK_I6(e) assert(I6 && (e))
#endif
/* I7 (bounded queues) is always on: a full channel would make a send block silently. */
#define CHECK_I7(e) assert(I7 && (e))
#ifdef NO_I8
#define CHECK_I8(e) skip
#else
#define CHECK_I8(e) assert(I8 && (e))
#endif
#ifdef NO_L1
#define CHECK_L1(e) skip
#else
#define CHECK_L1(e) assert(L1 && (e))
#endif

mtype = { RESUME, PUBLISH, ACK, DELIVER, RESUMED, GAP };

/* ---- the network: one connection per client, FIFO each way (WebSocket over TCP) */
chan c2s[NC] = [QC2S] of { mtype, byte };              /* RESUME lastSeen | PUBLISH msg */
chan s2c[NC] = [QS2C] of { mtype, byte, byte, byte };  /* ACK msg sid | DELIVER msg sid prev
                                                       | RESUMED sid | GAP prev upto */
/* ---- server side: store requests and results (FIFO per session: one store
 * connection each), and, for ack_before_persist, writes the server has ACKed but not
 * yet issued (lost with the server). Fan-out reaches the subscribed sessions in the
 * step that handles the store result (no channel: see README.md). */
chan sreq[NC]  = [QREQ] of { byte, bit };             /* msg, orphan (its session died) */
chan sres[NC]  = [QREQ] of { byte, bit, byte, byte }; /* msg, duplicate?, sid, prev */
chan unsent[NC] = [QREQ] of { byte, bit };            /* msg, orphan */

/* ---- client state */
#define C_BACKOFF  0   /* disconnected; the backoff timer may fire (connect) */
#define C_RESUMING 1   /* connected, RESUME sent, waiting for RESUMED */
#define C_LIVE     2
byte cst[NC];          /* client state */
byte npub[NC];         /* messages published so far */
bit  inq[NMSG];        /* in the client's retry queue (published, not ACKed) */
bit  acked[NMSG];      /* the client saw its ACK (the ACKED effect) */
bit  sentc[NMSG];      /* sent on the client's current connection */
bit  everSent[NMSG];   /* sent at least once (resend_off reads it) */
byte lastSeen[NC];     /* the client's lastSeenId */
byte lastDel[NC];      /* stream id of the last delivery to the application */
bit  gapSince[NC];     /* a GAP came since the last delivery */
byte gapTo[NC];        /* highest stream id a GAP signalled to the client covers */
bit  dlv[NMSG * NC];   /* dlv[m*NC + c]: message m delivered to client c */

/* ---- server sessions (one slot per client) */
#define S_CLOSED 0
#define S_OPEN   1     /* accepted, waiting for RESUME */
#define S_LIVE   2     /* subscribed, replay done, RESUMED sent */
byte sst[NC];
byte sentTo[NC];       /* last stream id the session sent its client */

/* ---- the store: one room's stream, the dedup index, durability */
byte top;              /* last stream id */
byte trimmed;          /* max-deleted id: entries 1..trimmed are trimmed (MAXLEN) */
byte durableTop;       /* entries 1..durableTop survive a store crash */
byte smsg[MAXE];       /* smsg[sid] = message stored at sid */
byte wsid[NMSG];       /* stream id of the message's surviving write (0: none); the
                          dedup record is written with the entry, and lost with it */
byte wpend[NMSG];      /* writes of the message on their way to the store */

/* ---- fault budgets */
byte drops = DROPS; byte dups = DUPS; byte crashes = CRASHES; byte scrashes = STORE_CRASHES;

hidden byte i, j, m, a, b, d;
hidden byte o;
hidden mtype ft;

#define alive(c)  (cst[(c)] != C_BACKOFF)

/* a message of client c waits for its ACK (NM <= 2) */
#define waiting(c) (inq[(c) * NM] || inq[(c) * NM + NM - 1])

/* At rest: nothing but a fault can happen any more — every channel empty, everything
 * published, every client LIVE with no message waiting for its ACK (else its ACK
 * timeout could fire), every write fsynced. Every other state has a fault-free step. */
#define rest_c(c) (len(c2s[(c)]) == 0 && len(s2c[(c)]) == 0 && len(sreq[(c)]) == 0 \
                   && len(sres[(c)]) == 0 && len(unsent[(c)]) == 0 && npub[(c)] == NM && cst[(c)] == C_LIVE \
                   && !waiting((c)))
#if NC > 2
#define at_rest (rest_c(0) && rest_c(1) && rest_c(2) && durableTop == top)
#else
#define at_rest (rest_c(0) && rest_c(NC - 1) && durableTop == top)
#endif

/* Checked at the end of every step: I1 and I8 on every state; at rest, L1 (every
 * subscriber caught up to the room's top; LIVE and the queues drained is what "at rest"
 * means, and a schedule that never gets there is a cycle, which pan -l finds) and I1's
 * at-rest half (every ACKed message reached every client, or a GAP covering it did). */
inline check_state() {
    for (i : 0 .. NMSG - 1) {
        /* I1: an ACKed message is in the store, or a write of it is on its way */
        CHECK_I1(!acked[i] || wsid[i] != 0 || wpend[i] > 0);
        /* I8: a published message is in its retry queue or ACKed, exactly one */
        CHECK_I8(i % NM >= npub[i / NM] || (inq[i] != acked[i]))
    };
    if
    :: at_rest ->
        for (i : 0 .. NC - 1) {
            CHECK_L1(lastSeen[i] >= top);
            for (j : 0 .. NMSG - 1) {
                CHECK_I1(!acked[j] || dlv[j * NC + i] || wsid[j] != 0 && wsid[j] <= gapTo[i])
            }
        }
    :: else -> skip
    fi;
    i = 0   /* (a d_step must not end on a loop's exit) */
}

/* The connection of client c dies (1006): the session is closed, everything in flight
 * on the connection is lost; store requests already sent still run (orphans: their
 * result goes nowhere). The client is told at once and backs off. */
inline kill(c) {
    cst[c] = C_BACKOFF;
    sst[c] = S_CLOSED;
    do :: nempty(c2s[c]) -> c2s[c]?_,_ :: empty(c2s[c]) -> break od;
    do :: nempty(s2c[c]) -> s2c[c]?_,_,_,_ :: empty(s2c[c]) -> break od;
    do :: nempty(sres[c]) -> sres[c]?_,_,_,_ :: empty(sres[c]) -> break od;
    for (j : 1 .. len(sreq[c])) { sreq[c]?a,_; sreq[c]!a,1 }
    for (j : 1 .. len(unsent[c])) { unsent[c]?a,_; unsent[c]!a,1 }
}

inline send_s2c(c, t, x, y, z) { CHECK_I7(nfull(s2c[c])); s2c[c]!t,x,y,z }
inline send_c2s(c, t, x) { CHECK_I7(nfull(c2s[c])); c2s[c]!t,x }

/* The session of client c reads the stream after sentTo[c] and sends it all: a GAP
 * first when entries after it were trimmed (unless no_gap_detection), then each entry
 * with the id before it. */
inline read_after(c) {
    if
    :: trimmed > sentTo[c] ->
#ifndef NO_GAP_DETECTION
        send_s2c(c, GAP, sentTo[c], trimmed, 0);
#endif
        sentTo[c] = trimmed
    :: else -> skip
    fi;
    do
    :: sentTo[c] < top -> sentTo[c]++; send_s2c(c, DELIVER, smsg[sentTo[c]], sentTo[c], sentTo[c] - 1)
    :: else -> break
    od
}

/* ---- the client: publisher and subscriber ---- */
inline client_frame(c) {
    if
    :: ft == ACK ->
        if :: inq[a] -> inq[a] = 0; acked[a] = 1 :: else -> skip fi   /* a second ACK: ignored */
    :: ft == DELIVER ->
        if
        :: b > lastSeen[c] ->
            CHECK_I3(!dlv[a * NC + c]);
            CHECK_I4(b > lastDel[c]);
            CHECK_I6(gapSince[c] || b == lastDel[c] + 1);
            dlv[a * NC + c] = 1; lastSeen[c] = b; lastDel[c] = b; gapSince[c] = 0
        :: else -> skip                                              /* dup_ignored */
        fi
    :: ft == RESUMED -> if :: cst[c] == C_RESUMING -> cst[c] = C_LIVE :: else -> skip fi
    :: ft == GAP ->
        if
        :: b > lastSeen[c] -> gapSince[c] = 1; gapTo[c] = b; lastSeen[c] = b
        :: else -> skip
        fi
    fi
}

/* nothing of client c's connection is in flight: the only time a timeout may fire */
#define idle(c) (len(c2s[(c)]) == 0 && len(s2c[(c)]) == 0 && len(sreq[(c)]) == 0 && len(sres[(c)]) == 0 \
                 && len(unsent[(c)]) == 0)

proctype Client(byte c) {
end:
    do
    /* publish: the application hands over its next message */
    :: d_step {
        npub[c] < NM ->
        m = c * NM + npub[c]; npub[c]++; inq[m] = 1;
        if
        :: alive(c) -> send_c2s(c, PUBLISH, m); sentc[m] = 1; everSent[m] = 1
        :: else -> skip
        fi;
        check_state()
       }
    /* backoff timer: connect; RESUME{lastSeen}, then the retry queue in order */
    :: d_step {
        cst[c] == C_BACKOFF ->
        cst[c] = C_RESUMING; sst[c] = S_OPEN;
        send_c2s(c, RESUME, lastSeen[c]);
        for (j : 0 .. NM - 1) {
            m = c * NM + j;
#ifdef FORGET_UNACKED
            if :: inq[m] && sentc[m] -> inq[m] = 0 :: else -> skip fi;  /* silently */
#endif
            sentc[m] = 0;
            if
#ifdef RESEND_OFF
            :: inq[m] && !everSent[m] ->
#else
            :: inq[m] ->
#endif
                send_c2s(c, PUBLISH, m); sentc[m] = 1; everSent[m] = 1
            :: else -> skip
            fi
        };
        check_state()
       }
    /* a frame from the server */
    :: d_step { s2c[c]?ft,a,b,d -> client_frame(c); check_state() }
    /* the same frame, duplicated by the network: delivered, and its copy stays */
    :: d_step { dups > 0 && nempty(s2c[c]) -> dups--; s2c[c]?<ft,a,b,d>; client_frame(c); check_state() }
    /* resume timeout, or ACK timeout while a message waits: only when nothing of the
     * connection is in flight; the client abandons it (1006) and backs off */
    :: d_step {
        alive(c) && idle(c) && (cst[c] == C_RESUMING || cst[c] == C_LIVE && waiting(c)) ->
        kill(c); check_state()
       }
    od
}

/* ---- a server session (the slot of client c) ---- */
inline session_frame(c) {
    if
    :: ft == RESUME ->
        if
        :: sst[c] == S_OPEN ->   /* subscribe, read after lastSeen, RESUMED: one step */
            sst[c] = S_LIVE; sentTo[c] = a; read_after(c); send_s2c(c, RESUMED, sentTo[c], 0, 0)
        :: else -> skip          /* a duplicated RESUME */
        fi
    :: ft == PUBLISH ->
#ifdef ACK_BEFORE_PERSIST
        CHECK_I5(wsid[a] != 0 && wsid[a] <= durableTop);
        send_s2c(c, ACK, a, 0, 0);
        CHECK_I7(nfull(unsent[c])); unsent[c]!a,0; wpend[a]++
#else
        CHECK_I7(nfull(sreq[c])); sreq[c]!a,0; wpend[a]++
#endif
    fi
}

/* The store queue belongs to the client's session slot, not to one connection: a new
 * session's replay read (its RESUME) runs after what the slot's earlier, dead session
 * still has queued at the store (herd's model keeps one FIFO per client and server). */
#define slot_drained(c) (len(sreq[(c)]) == 0 && len(unsent[(c)]) == 0)

proctype Session(byte c) {
end:
    do
    :: d_step {
        len(c2s[c]) > 0 && (sst[c] != S_OPEN || slot_drained(c)) ->
        c2s[c]?ft,a; session_frame(c); check_state()
       }
    :: d_step {
        dups > 0 && len(c2s[c]) > 0 && (sst[c] != S_OPEN || slot_drained(c)) ->
        dups--; c2s[c]?<ft,a>; session_frame(c); check_state()
       }
    /* a store result: ACK (after the durable write), then fan-out to every subscribed
     * session, the message's own included. A duplicate's prev is its own id
     * ("predecessor unknown"): the subscribers that lack it read the stream. A session
     * delivers a fan-out at once when it follows what it sent last, else it reads the
     * stream after that. */
    :: d_step {
        sres[c]?a,o,b,d ->
#ifndef ACK_BEFORE_PERSIST
        CHECK_I5(wsid[a] != 0 && wsid[a] <= durableTop);
        send_s2c(c, ACK, a, b, 0);
#endif
        if :: o -> d = b :: else -> skip fi;
        for (j : 0 .. NC - 1) {
            if
            :: sst[j] != S_LIVE || b <= sentTo[j] -> skip
            :: sst[j] == S_LIVE && b > sentTo[j] && d == sentTo[j] ->
                sentTo[j] = b; send_s2c(j, DELIVER, a, b, d)
            :: sst[j] == S_LIVE && b > sentTo[j] && d != sentTo[j] -> read_after(j)
            fi
        };
        check_state()
       }
#ifdef ACK_BEFORE_PERSIST
    /* the server issues a write it has already ACKed */
    :: d_step { unsent[c]?a,o -> sreq[c]!a,o; check_state() }
#endif
    od
}

/* ---- the store: executes each session's requests in order (one store connection per
 * session; the connections race): dedup check, append and dedup record in one atomic
 * step (PUBLISH_DEDUP), MAXLEN trim, durability ---- */
inline store_exec() {
    sreq[i]?a,o; wpend[a]--;
#ifndef DEDUP_NONE
    if
    :: wsid[a] != 0 -> b = wsid[a]; d = 1        /* duplicate: ACK with the first write's id */
    :: else ->
#endif
        CHECK_I2(wsid[a] == 0);                  /* an earlier append of it survives */
        CHECK_I7(top < MAXE - 1);
        top++; smsg[top] = a; b = top; d = 0;
        if :: wsid[a] == 0 -> wsid[a] = top :: else -> skip fi;
        if :: top - trimmed > MAXLEN -> trimmed++ :: else -> skip fi;
#ifndef AOF_EVERYSEC
        durableTop = top;                        /* aof_always: durable before the reply */
#endif
#ifndef DEDUP_NONE
    fi;
#endif
    if
    :: !o -> CHECK_I7(nfull(sres[i])); sres[i]!a,d,b,b - 1
    :: else -> skip                              /* its session is gone */
    fi;
    check_state()
}

proctype Store() {
end:
    do
    :: d_step { nempty(sreq[0]) -> i = 0; store_exec() }
#if NC > 1
    :: d_step { nempty(sreq[1]) -> i = 1; store_exec() }
#endif
#if NC > 2
    :: d_step { nempty(sreq[2]) -> i = 2; store_exec() }
#endif
#ifdef AOF_EVERYSEC
    /* the fsync tick */
    :: d_step { durableTop < top -> durableTop = top }
#endif
    od
}

/* ---- faults, each within its budget */
proctype Faults() {
end:
    do
    /* a dropped frame: over TCP, a dead connection */
    :: d_step { drops > 0 && alive(0) -> drops--; kill(0); check_state() }
#if NC > 1
    :: d_step { drops > 0 && alive(1) -> drops--; kill(1); check_state() }
#endif
#if NC > 2
    :: d_step { drops > 0 && alive(2) -> drops--; kill(2); check_state() }
#endif
    /* server crash and restart: every session vanishes, every connection dies, the
     * writes an ACK-first server had not issued are lost; writes at the store stay */
    :: d_step {
        crashes > 0 ->
        crashes--;
        for (i : 0 .. NC - 1) {
            if :: alive(i) -> kill(i) :: else -> skip fi;
            do :: nempty(unsent[i]) -> unsent[i]?a,o; wpend[a]-- :: empty(unsent[i]) -> break od
        };
        check_state()
       }
    /* store crash: the writes after the last fsync are lost, dedup records with them;
     * the stream's top falls back, so later entries reuse those ids */
    :: d_step {
        scrashes > 0 && durableTop < top ->
        scrashes--;
        for (i : 0 .. NMSG - 1) { if :: wsid[i] > durableTop -> wsid[i] = 0 :: else -> skip fi };
        top = durableTop;
        if :: trimmed > top -> trimmed = top :: else -> skip fi;
        check_state()
       }
    od
}

init {
    atomic {
        for (i : 0 .. NC - 1) { run Client(i); run Session(i) };
        run Store(); run Faults()
    }
}
