/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "frame.h"
#include "macro.h"
#include "text.h"

int frame_send(int fd, uint32_t tag, const void *data, uint32_t length) {
        uint32_t head[2] = { tag, length };
        struct iovec iov[2] = {
                { .iov_base = head, .iov_len = sizeof head },
                { .iov_base = (void *) data, .iov_len = length },
        };
        struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };

        assert(data || length == 0);

        while (mh.msg_iovlen > 0) {
                ssize_t n = sendmsg(fd, &mh, MSG_NOSIGNAL);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return errno == EAGAIN ? -ETIMEDOUT : -errno;   /* SO_SNDTIMEO ran out */
                }
                while (mh.msg_iovlen > 0 && (size_t) n >= mh.msg_iov[0].iov_len) {
                        n -= (ssize_t) mh.msg_iov[0].iov_len;
                        mh.msg_iov++;
                        mh.msg_iovlen--;
                }
                if (mh.msg_iovlen > 0) {
                        mh.msg_iov[0].iov_base = (char *) mh.msg_iov[0].iov_base + n;
                        mh.msg_iov[0].iov_len -= (size_t) n;
                }
        }
        return 0;
}

/* Reads exactly length bytes by deadline (monotonic_usec() in msec, -1: none): 0, -EPIPE at end
 * of stream, -ETIMEDOUT, -errno. */
static int read_exactly(int fd, int64_t deadline, void *buf, size_t length) {
        size_t got = 0;

        assert(buf || length == 0);

        while (got < length) {
                if (deadline >= 0) {
                        int64_t left = deadline - (int64_t) (monotonic_usec() / 1000u);
                        struct pollfd p = { .fd = fd, .events = POLLIN };
                        int r = left > 0 ? poll(&p, 1, left > INT_MAX ? INT_MAX : (int) left) : 0;
                        if (r < 0) {
                                if (errno == EINTR)
                                        continue;
                                return -errno;
                        }
                        if (r == 0)
                                return -ETIMEDOUT;
                }
                ssize_t n = recv(fd, (char *) buf + got, length - got, deadline >= 0 ? MSG_DONTWAIT : 0);
                if (n < 0) {
                        if (errno == EINTR || errno == EAGAIN)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        return -EPIPE;
                got += (size_t) n;
        }
        return 0;
}

int frame_recv(int fd, int timeout_ms, uint32_t max, uint32_t *ret_tag, char **ret_data, uint32_t *ret_length) {
        int64_t deadline = timeout_ms >= 0 ? (int64_t) (monotonic_usec() / 1000u) + timeout_ms : -1;   /* for the whole frame */
        _cleanup_free_ char *data = NULL;
        uint32_t head[2];
        int r;

        assert(ret_tag);
        assert(ret_data);
        assert(ret_length);

        r = read_exactly(fd, deadline, head, sizeof head);
        if (r < 0)
                return r;
        if (head[1] > max)
                return -EMSGSIZE;
        data = malloc((size_t) head[1] + 1);
        if (!data)
                return -ENOMEM;
        r = read_exactly(fd, deadline, data, head[1]);
        if (r == -EPIPE)
                return -EIO;   /* ended mid-frame */
        if (r < 0)
                return r;
        data[head[1]] = 0;
        *ret_tag = head[0];
        *ret_data = TAKE_PTR(data);
        *ret_length = head[1];
        return 0;
}
