#!/usr/bin/env python3
"""Print a first version of src/dm/mo_map.c (the XML element <-> MO node
table of the five MCPTT MOs) from the schemas in schemas/. The C file is
the data that is maintained afterwards (names corrected by hand); this
script only documents how its rows were first derived:
  - every xs:element / xs:attribute name of the document's schemas is a row;
  - node name = the naming rule of OMADM-NOTES 5.4: split on '-', '_', '.',
    upper-case the first letter of each part, join (xml:lang -> Lang);
  - an element that may occur more than once in its parent (its own
    maxOccurs, or an enclosing sequence/choice's, > 1) is REPEAT: its
    occurrences become <x> children of an interior node;
  - names verified by OMADM-NOTES 5.2 (anyExt -> Ext, Name) are VERIFIED;
  - a node name used twice in one MO is made unique by prefixing the
    namespace prefix (elements of a secondary namespace) or appending
    "Attr" (attributes).
Usage: python3 scripts/gen-dm-mo-map.py > src/dm/mo_map.c"""
import re
import sys
import xml.etree.ElementTree as ET

XS = '{http://www.w3.org/2001/XMLSchema}'
XML_NS = 'http://www.w3.org/XML/1998/namespace'

# kind, C name, root element, schema files (main first), namespaces (prefix, uri) after the main one
INFO = {
    'MO_UE_INIT_CONFIG': ('ue-init-config', 'UE initial configuration',
                          'urn:oma:mo:ext-3gpp-MCPTT-UE-init-config:1.0', './MCPTT/UEInitialConfiguration',
                          'org.3gpp.mcptt.ue-init-config', 'application/vnd.3gpp.mcptt-ue-init-config+xml', 'false'),
    'MO_UE_CONFIG': ('ue-config', 'UE configuration', 'urn:oma:mo:ext-3gpp-MCPTT-UE-configuration:1.0',
                     './MCPTT/UEConfiguration', 'org.3gpp.mcptt.ue-config',
                     'application/vnd.3gpp.mcptt-ue-config+xml', 'true'),
    'MO_USER_PROFILE': ('user-profile', 'user profile', 'urn:oma:mo:ext-3gpp-MCPTT-user-profile:1.0',
                        './MCPTT/UserProfile', 'org.3gpp.mcptt.user-profile',
                        'application/vnd.3gpp.mcptt-user-profile+xml', 'false'),
    'MO_SERVICE_CONFIG': ('service-config', 'service configuration',
                          'urn:oma:mo:ext-3gpp-MCPTT-service-configuration:1.0', './MCPTT/ServiceConfiguration',
                          'org.3gpp.mcptt.service-config', 'application/vnd.3gpp.mcptt-service-config+xml',
                          'true'),
    'MO_GROUP_CONFIG': ('group-config', 'group configuration',
                        'urn:oma:mo:ext-3gpp-MCPTT-group-configuration:1.0', './MCPTT/GroupConfiguration',
                        'org.openmobilealliance.groups', 'application/vnd.oma.poc.groups+xml', 'true'),
}
KINDS = [
    ('MO_UE_INIT_CONFIG', 'ue_init', 'mcptt-UE-initial-configuration',
     ['mcptt-ue-init-config.xsd'], []),
    ('MO_UE_CONFIG', 'ue', 'mcptt-UE-configuration', ['mcptt-ue-config.xsd'], []),
    ('MO_USER_PROFILE', 'profile', 'mcptt-user-profile',
     ['mcptt-user-profile.xsd', 'common-policy.xsd'], [('cp', 'urn:ietf:params:xml:ns:common-policy')]),
    ('MO_SERVICE_CONFIG', 'service', 'service-configuration-info', ['mcptt-service-config.xsd'], []),
    ('MO_GROUP_CONFIG', 'group', 'group',
     ['mcptt-group.xsd', 'resource-lists.xsd', 'common-policy.xsd', 'oma-xdm-extensions.xsd',
      'mcptt-group-info.xsd'],
     [('rl', 'urn:ietf:params:xml:ns:resource-lists'), ('cp', 'urn:ietf:params:xml:ns:common-policy'),
      ('oxe', 'urn:oma:xml:xdm:extensions'), ('mcpttgi', 'urn:3gpp:ns:mcpttGroupInfo:1.0')]),
]
VERIFIED = {'anyExt': 'Ext', 'name': 'Name', 'Name': 'Name'}


def rule(name):
    name = name.split(':')[-1]
    return ''.join(p[:1].upper() + p[1:] for p in re.split(r'[-_.]', name) if p)


def many(e):
    m = e.get('maxOccurs', '1')
    return m == 'unbounded' or int(m) > 1


def scan(path):
    root = ET.parse(path).getroot()
    els, ats = {}, []

    def walk(e, rep):
        for c in e:
            if c.tag == XS + 'element' and c.get('name'):
                n = c.get('name')
                els[n] = els.get(n, False) or many(c) or rep
                walk(c, False)
            elif c.tag == XS + 'attribute' and c.get('name'):
                if c.get('name') not in ats:
                    ats.append(c.get('name'))
            elif c.tag == XS + 'complexType':
                walk(c, False)
            elif c.tag in (XS + 'sequence', XS + 'choice', XS + 'all'):
                walk(c, rep or many(c))
            else:
                walk(c, rep)
    walk(root, False)
    return root.get('targetNamespace'), els, ats


def main():
    sd = 'schemas/'
    out = sys.stdout
    out.write('/* The mapping table XML element <-> MO node of the five MCPTT MOs: data,\n'
              ' * first derived from schemas/ by scripts/gen-dm-mo-map.py (see there and\n'
              ' * docs/dm-mo.md for the naming rule), corrected here by hand. */\n')
    out.write('#include "dm/mo_map.h"\n\n')
    for kind, cname, rootel, files, extra in KINDS:
        tns0 = None
        rows, used = [], {}
        nss = [('', '')]  # filled below
        for i, f in enumerate(files):
            tns, els, ats = scan(sd + f)
            if i == 0:
                tns0 = tns
            for n, rep in els.items():
                rows.append([tns, n, rep, False])
            for a in ats:
                rows.append([None, a, False, True])
        rows.append([XML_NS, 'lang', False, True])
        # de-duplicate (same ns, name, kind)
        seen, uniq = set(), []
        for r in rows:
            k = (r[0], r[1], r[3])
            if k in seen:
                continue
            seen.add(k)
            uniq.append(r)
        # root first
        uniq.sort(key=lambda r: 0 if (r[0] == tns0 and r[1] == rootel and not r[3]) else 1)
        nslist = [('', None), ('xml', XML_NS), ('', tns0)] + extra
        nsidx = {u: i for i, (p, u) in enumerate(nslist)}
        nsidx[None] = 0
        out.write('static const struct mo_ns ns_%s[] = {\n' % cname)
        for p, u in nslist:
            out.write('\t{"%s", %s},\n' % (p, '"%s"' % u if u else 'NULL'))
        out.write('};\n\nstatic const struct mo_row rows_%s[] = {\n' % cname)
        names = {'Text': 1, 'XMLForm': 1}  # reserved: docs/dm-mo.md
        for r in uniq:
            tns, n, rep, attr = r
            if not attr and tns == tns0 and n == rootel:
                node, flags = '', ['MO_ROOT']
            else:
                node = VERIFIED.get(n) or rule(n)
                flags = []
                if n in VERIFIED and not attr:
                    flags.append('MO_VERIFIED')
                if attr:
                    flags.append('MO_ATTR')
                if rep:
                    flags.append('MO_REPEAT')
                if node in names:
                    if attr:
                        node += 'Attr'
                    else:
                        node = rule(nslist[nsidx[tns]][0]) + node
                if node in names:
                    sys.exit('collision %s %s' % (cname, node))
                names[node] = 1
            out.write('\t{%d, %s, "%s", "%s"},\n' % (nsidx[tns], ' | '.join(flags) or '0', n, node))
        out.write('};\n\n')
    out.write('const struct mo_map mo_maps[MO_KIND_COUNT] = {\n')
    for kind, cname, rootel, files, extra in KINDS:
        i = INFO[kind]
        out.write('\t[%s] = {\n\t\t.kind = %s,\n\t\t.name = "%s",\n\t\t.title = "%s",\n'
                  '\t\t.urn = "%s",\n\t\t.urn_verified = %s,\n\t\t.tree_root = "%s",\n'
                  '\t\t.auid = "%s",\n\t\t.mime = "%s",\n\t\t.root = "%s",\n'
                  '\t\t.ns = ns_%s,\n\t\t.nns = sizeof ns_%s / sizeof ns_%s[0],\n'
                  '\t\t.rows = rows_%s,\n\t\t.nrows = sizeof rows_%s / sizeof rows_%s[0],\n\t},\n'
                  % (kind, kind, i[0], i[1], i[2], i[6], i[3], i[4], i[5], rootel,
                     cname, cname, cname, cname, cname, cname))
    out.write('};\n')


main()
