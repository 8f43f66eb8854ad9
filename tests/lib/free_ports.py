#!/usr/bin/env python3
"""free_ports.py N: N distinct loopback TCP ports nothing listens on, for the tests' shell
scripts. They are drawn below the kernel's ephemeral range (ip_local_port_range), where no
outgoing connection of another test can take one between this pick and the node's bind,
as happens with port 0 on a busy machine; each is bound once to check it is free."""
import random
import socket
import sys


def ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def main():
    n = int(sys.argv[1])
    low, high = 10000, ephemeral_low()
    socks, ports = [], []
    for _ in range(2000):
        if len(ports) == n or high - low < 100:
            break
        port = random.randrange(low, high)
        if port in ports:
            continue
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            s.close()
            continue
        socks.append(s)
        ports.append(port)
    while len(ports) < n:  # no room below the ephemeral range: let the kernel pick
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    print(" ".join(str(p) for p in ports))


main()
