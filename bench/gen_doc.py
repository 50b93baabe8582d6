"""Write a ~20 KB resource-lists document (the benchmark's payload)."""
import sys

out = ['<?xml version="1.0" encoding="UTF-8"?>',
       '<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">']
n = int(sys.argv[2]) if len(sys.argv) > 2 else 0
i = 0
size = 0
while True:
    out.append('  <list name="group-%d">' % i)
    for j in range(10):
        out.append('    <entry uri="sip:user-%d-%d@example.org"><display-name>Officer %d-%d (unit %d)</display-name></entry>'
                   % (i, j, i, j, n))
    out.append('  </list>')
    i += 1
    size = sum(len(x) + 1 for x in out)
    if size > 19500:
        break
out.append('</resource-lists>')
with open(sys.argv[1], "w") as f:
    f.write("\n".join(out) + "\n")
