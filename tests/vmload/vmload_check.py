# vmload_check.py: the accounting of tests/vmload, from the JSON of the queries the test
# saved in a folder (vms.json, nics.json, volumes.json, usedips.json, h1.json, h2.json,
# sim1.json, sim2.json, base.json): prints one "ok"/"FAIL" line per check. What it checks:
# every VM Running (or as listed in allowed) on h1 or h2 with exactly one NIC with an
# address and a root volume that exists; no address twice; NICs, used addresses and
# volumes exactly the VMs' own over the baseline; each host's free CPU and memory exactly
# its total less its reserved memory less what its VMs hold, which is within what it has;
# each simulated host runs exactly the Running VMs the database places on it.
import json, os, sys

d = sys.argv[1]
ratio = int(sys.argv[2])            # kvm.cpuOverProvisioningRatio
allowed = set(sys.argv[3].split(",")) if len(sys.argv) > 3 else {"Running"}
J = lambda n: json.load(open(os.path.join(d, n)))
inv = lambda o: o.get("inventories", o.get("results", []))
vms, nics, vols, ips = inv(J("vms.json")), inv(J("nics.json")), inv(J("volumes.json")), inv(J("usedips.json"))
# a root volume the volume service was still creating when its node was killed stays
# Creating (that service does not take such volumes up again yet): counted apart
creating = [x for x in vols if x.get("status") == "Creating"]
vols = [x for x in vols if x.get("status") != "Creating"]
print("note %d volume(s) left Creating by the volume service" % len(creating))
base = J("base.json")
hosts = {"h1": J("h1.json"), "h2": J("h2.json")}
sims = {"h1": J("sim1.json"), "h2": J("sim2.json")}
bad = 0

def check(ok, what, detail=""):
    global bad
    print(("ok   " if ok else "FAIL ") + what + ("" if ok else " [" + str(detail)[:400] + "]"))
    if not ok:
        bad += 1

states = {}
for v in vms:
    states[v["state"]] = states.get(v["state"], 0) + 1
check(set(states) <= allowed, "every VM is %s" % "/".join(sorted(allowed)), states)
hu = {h["uuid"]: n for n, h in hosts.items()}
running = [v for v in vms if v["state"] == "Running"]
check(all(v.get("hostUuid") in hu for v in running), "every Running VM is on h1 or h2")
per = {}
for n in nics:
    per.setdefault(n.get("vmInstanceUuid"), []).append(n)
one = [v for v in vms if len(per.get(v["uuid"], [])) != 1 or not per[v["uuid"]][0].get("ip")]
check(not one, "every VM has exactly one NIC with an address", [v["uuid"] for v in one][:5])
volids = {x["uuid"] for x in vols}
noroot = [v for v in vms if v.get("rootVolumeUuid") not in volids]
check(not noroot, "every VM's root volume exists", [v["uuid"] for v in noroot][:5])
addrs = [n.get("ip") for n in nics if n.get("ip")]
check(len(addrs) == len(set(addrs)), "no address is given twice", len(addrs) - len(set(addrs)))
check(len(nics) == len(vms), "NICs: exactly one per VM", "%d NICs, %d VMs" % (len(nics), len(vms)))
check(len(ips) == base["ips"] + len(vms), "used addresses: the baseline's + one per VM",
      "%d used, base %d, %d VMs" % (len(ips), base["ips"], len(vms)))
check(len(vols) == base["volumes"] + len(vms), "volumes: the baseline's + one root volume per VM",
      "%d volumes, base %d, %d VMs" % (len(vols), base["volumes"], len(vms)))
roots = [x for x in vols if x.get("type") == "Root"]
owned = {v.get("rootVolumeUuid") for v in vms}
orphan = [x["uuid"] for x in roots if x["uuid"] not in owned]
check(not orphan, "no root volume without its VM", orphan[:5])
def host_checks(n, h):
    mine = [v for v in running if v.get("hostUuid") == h["uuid"]]
    cpu = sum(int(v["cpuNum"]) for v in mine)
    mem = sum(int(v["memorySize"]) for v in mine)
    tc, tm, rm = int(h["totalCpu"]), int(h["totalMemory"]), int(h.get("reservedMemory", 0))
    check(int(h["availableCpu"]) == tc - cpu, "%s: free CPUs = %d - its %d VMs' %d" % (n, tc, len(mine), cpu), h["availableCpu"])
    check(int(h["availableMemory"]) == tm - rm - mem, "%s: free memory = total - reserved - its VMs'" % n,
          "%s != %d - %d - %d" % (h["availableMemory"], tm, rm, mem))
    check(cpu <= tc * ratio and mem <= tm - rm, "%s is not over-committed (%d vCPUs of %d, %d MiB of %d)" %
          (n, cpu, tc * ratio, mem >> 20, (tm - rm) >> 20))
    onsim = {u for u, x in (sims[n].get("vmList") or {}).items() if x.get("state") == "Running"}
    check(onsim == {v["uuid"] for v in mine}, "%s runs exactly the %d VMs the database places there" % (n, len(mine)),
          "sim-only %s db-only %s" % (list(onsim - {v["uuid"] for v in mine})[:3], list({v["uuid"] for v in mine} - onsim)[:3]))
for n, h in hosts.items():
    try:
        host_checks(n, h)
    except Exception as e:
        check(False, "%s: its capacity can be read" % n, repr(e))
print("checks failed: %d" % bad)
