/* The floor for any epoll-based tap: the leanest TCP forwarder, for
 * comparison with `framewise tap --quiet` (benches/tap.py runs it when
 * TAP_FLOOR=1). One thread, level-triggered epoll, one recv and one send per
 * read, no decoding and no counting, no half-close (a connection ends when
 * either side ends it). Not part of framewise: a measuring stick.
 *
 *     gcc -O2 -o /tmp/tap_floor benches/tap_floor.c
 *     /tmp/tap_floor LISTEN_PORT UPSTREAM_PORT     (both on 127.0.0.1)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static int peer[65536];
static char buf[65536];

/* Writes all of p, waiting for room when the socket is full. */
static int send_all(int fd, const char *p, ssize_t n) {
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EAGAIN) {
            struct pollfd q = {fd, POLLOUT, 0};
            poll(&q, 1, -1);
            continue;
        }
        if (w < 0)
            return -1;
        p += w;
        n -= w;
    }
    return 0;
}

static void watch(int ep, int fd) {
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s LISTEN_PORT UPSTREAM_PORT\n", argv[0]);
        return 2;
    }
    int one = 1;
    struct sockaddr_in listen_at = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[1]))};
    inet_pton(AF_INET, "127.0.0.1", &listen_at.sin_addr);
    struct sockaddr_in upstream = listen_at;
    upstream.sin_port = htons(atoi(argv[2]));
    int l = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(l, (void *)&listen_at, sizeof listen_at) || listen(l, 128)) {
        perror("listen");
        return 1;
    }
    int ep = epoll_create1(0);
    watch(ep, l);
    printf("listening on tcp 127.0.0.1:%s\n", argv[1]);
    fflush(stdout);
    struct epoll_event evs[64];
    for (;;) {
        int n = epoll_wait(ep, evs, 64, -1);
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == l) {
                int c = accept4(l, 0, 0, SOCK_NONBLOCK);
                int s = socket(AF_INET, SOCK_STREAM, 0);
                if (c < 0 || c >= 65536 || s >= 65536 ||
                    connect(s, (void *)&upstream, sizeof upstream)) {
                    perror("connect");
                    close(c);
                    close(s);
                    continue;
                }
                fcntl(s, F_SETFL, O_NONBLOCK);
                setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                peer[c] = s;
                peer[s] = c;
                watch(ep, c);
                watch(ep, s);
                continue;
            }
            ssize_t r = recv(fd, buf, sizeof buf, 0);
            if (r < 0 && errno == EAGAIN)
                continue;
            if (r > 0 && send_all(peer[fd], buf, r) == 0)
                continue;
            int p = peer[fd];
            epoll_ctl(ep, EPOLL_CTL_DEL, fd, 0);
            epoll_ctl(ep, EPOLL_CTL_DEL, p, 0);
            close(fd);
            close(p);
        }
    }
}
