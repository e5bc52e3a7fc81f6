"""The circuit inside each device: grounds and earthing, output drivers, input loads, drivers.

Output topologies (electrical.md §1.1) are modelled as sources, not rules:

- stereo / unbalanced: a ground-referenced source behind ``z_out`` per contact;
- impedance-balanced: hot driven behind ``z_out``, cold tied to ground through ``z_out``;
- push-pull: hot +V/2 and cold -V/2, each ground-referenced behind ``z_out``;
- servo (cross-coupled): a floating source between the legs whose common mode is held by
  ``z_common_mode`` to ground, so grounding one leg doubles the other's swing (below);
- transformer: a floating source with no ground reference.

The servo-balanced (cross-coupled) output
-----------------------------------------
A cross-coupled stage mimics a floating transformer winding: its feedback holds the
*difference* of the legs at ``V_d`` while a weaker common-mode feedback holds their midpoint
near ground. The model: an ideal floating source ``V_d`` between the two leg sources, each
leg source tied to ground by ``Z_cm`` (the common mode then sees ``Z_cm/2``), and
``z_out`` from each leg source to its contact. With ``R_L`` the hot leg's load to ground,
the hot source sits at (the contact at that times ``R_L/(R_L + z_out)``)

- balanced (equal loads): ±V_d/2, whatever ``Z_cm``;
- cold open: ``V_d·Z_h/(Z_h + Z_cm)`` with ``Z_h = Z_cm ∥ (z_out + R_L)``
  ≈ ``(V_d/2)·(1 − Z_cm/(2 R_L))``: −6 dB if ``Z_cm ≪ R_L``;
- cold grounded: ``V_d·Z_h/(Z_h + Z_c)`` with ``Z_c = Z_cm ∥ z_out``
  ≈ ``V_d·(1 − z_out/Z_cm)``: 0 dB if ``z_out ≪ Z_cm``.

Electrical.md §1.1 (cold open ≈ −6 dB, cold grounded 0 dB) therefore needs
``z_out ≪ Z_cm ≪ R_L``; no linear source meets both exactly, and the two errors multiply to
about ``z_out/(2 R_L)``. :data:`DEFAULT_Z_CM_OHM` = 2 kΩ per leg (1 kΩ common mode, the
geometric mean of a 100 Ω build-out and a 10 kΩ line input) splits them: into 10 kΩ with
100 Ω legs, cold open gives −6.9 dB and cold grounded −0.6 dB (the old 10 kΩ per leg gave
−9.6 dB with the cold leg open).

Limits: ``max_v_rms`` is the differential maximum (schema), so the floating source itself
is checked against it (sense ``:diff``), never each leg against half of it: a 4-resistor
balanced input loads hot (2R to ground) and cold (R to a virtual node at V_hot/2) unequally,
which shifts the common mode a little, and must not count as clipping. What a grounded leg
costs is the common mode: with one contact grounded the contacts' common mode is half the
other contact's voltage, and the stage's single-ended maximum is 6 dB below its
differential one (§1.1 row 8), so the contacts' common mode is checked against
``max_v_rms/4`` (sense ``:cm``) — exact for a grounded leg (the live contact may reach
``max_v_rms/2``) and far from binding in balanced use (common mode ≈ 0).

Inputs: stereo and unbalanced inputs load each contact with ``z_in`` to ground and
sense it against the device ground. Differential balanced inputs are the
4-resistor difference amplifier with an ideal op-amp (a VCVS holds the inverting
node at the non-inverting node's voltage); a resistor mismatch sets its CMRR
(``CMRR = 2/ε`` for one resistor off by ε). A floating cold leg therefore reads
half the hot leg (−6 dB), as electrical.md §1.2 derives.
"""

from __future__ import annotations

import math

from signalchain.schema.device import PortSpec
from signalchain.schema.rig import Environment
from signalchain.wiring.connectors import CONTACTS, ROLES
from signalchain.wiring.netlist import (
    EARTH,
    Capacitor,
    Drive,
    GroundSource,
    Netlist,
    Resistor,
    Sense,
    Transducer,
    Vcvs,
)
from signalchain.wiring.resolve import ResolvedDevice

CONTACT_R_OHM = 0.01
"""Resistance of a mated plug/jack contact (assumed; 'a few milliohm' class value)."""
GROUND_LUG_R_OHM = 0.01
"""Jack ground lug to the device's internal ground (assumed)."""
LINK_R_OHM = 0.005
"""Internal wiring of passive splitters (assumed)."""
STRAY_C_F = 100e-12
"""Capacitance of a device's circuit ground to earth (assumed class value)."""
DEFAULT_CMRR_DB = 60.0
"""Balanced input CMRR when the catalog gives none (electrical.md §2: 40-70 dB in practice)."""
DEFAULT_EARTH_R_OHM = 0.5
"""Protective-earth path resistance when not given (assumed)."""
DEFAULT_LEAKAGE_UA = 50.0
"""Class II supply leakage when not given (assumed; IEC 62368 limit 250 µA)."""
DEFAULT_Z_CM_OHM = 2e3
"""Per-leg common-mode resistance of a servo-balanced output when not given (assumed; see
the module docstring: between ``z_out`` and the loads, 1 kΩ common mode)."""
TRANSFORMER_C_F = 200e-12
"""Winding-to-ground capacitance of a transformer port (assumed)."""


def ground_node(device: str) -> str:
    """Name of a device's internal ground node."""
    return f"{device}.gnd"


def contact_node(device: str, port: str, contact: str) -> str:
    """Name of a device port's contact node."""
    return f"{device}.{port}.{contact}"


def add_power(net: Netlist, dev: ResolvedDevice, reference_outlet: str | None,
              env: Environment, outlets_done: set[str]) -> None:
    """Connect a device's ground to earth the way its power supply does."""
    gnd = ground_node(dev.name)
    details = dev.spec.power_details
    net.capacitors.append(Capacitor(f"{dev.name}.stray", gnd, EARTH, STRAY_C_F))
    if dev.spec.power == "mains-earthed":
        outlet = f"outlet.{dev.outlet}"
        r_pe = details.earth_r_ohm if details.earth_r_ohm is not None else DEFAULT_EARTH_R_OHM
        net.resistors.append(Resistor(f"{dev.name}.pe", gnd, outlet, r_pe))
        if dev.outlet not in outlets_done:
            outlets_done.add(dev.outlet)
            offset = 0.0 if dev.outlet == reference_outlet else env.ground_offset_v
            net.ground_sources.append(GroundSource(f"{outlet}.offset", "voltage", outlet, EARTH,
                                                   offset))
    elif dev.spec.power == "mains-floating":
        leak = details.leakage_ua if details.leakage_ua is not None else DEFAULT_LEAKAGE_UA
        net.ground_sources.append(GroundSource(f"{dev.name}.leakage", "current", gnd, EARTH,
                                               leak * 1e-6))


def _ground_contact(net: Netlist, dev: str, pname: str, connector: str) -> None:
    contact = ROLES[connector].get("ground")
    if contact is None:
        return
    node = contact_node(dev, pname, contact)
    net.contact_roles[node] = (dev, pname, "ground")
    net.resistors.append(Resistor(f"{node}.lug", node, ground_node(dev), GROUND_LUG_R_OHM))
    if connector.startswith("usb"):
        shield = contact_node(dev, pname, "shield")
        net.contact_roles[shield] = (dev, pname, "shield")
        net.resistors.append(Resistor(f"{shield}.lug", shield, ground_node(dev),
                                      GROUND_LUG_R_OHM))


def _leg(net: Netlist, dev: str, pname: str, port: PortSpec, role: str, contact_role: str,
         src: str, leg_limit: float) -> None:
    """Source node ``src`` -> z_out -> contact, with leg-voltage and current senses."""
    contact = ROLES[port.connector][contact_role]
    node = contact_node(dev, pname, contact)
    gnd = ground_node(dev)
    z = max(port.z_out_ohm or 0.0, 1e-3)
    net.contact_roles[node] = (dev, pname, role)
    net.resistors.append(Resistor(f"{node}.zout", src, node, z))
    stage = f"{dev}.{pname}"
    net.senses.append(Sense(f"{stage}:{role}:leg", "leg", ((src, 1.0), (gnd, -1.0)), dev, pname,
                            role, leg_limit))
    net.senses.append(Sense(f"{stage}:{role}:current", "current",
                            ((src, 1.0 / z), (node, -1.0 / z)), dev, pname, role,
                            None if port.max_i_ma is None else port.max_i_ma * 1e-3))


def add_output(net: Netlist, dev: str, pname: str, port: PortSpec) -> None:
    """Add an active output port's driver circuit."""
    gnd = ground_node(dev)
    stage = f"{dev}.{pname}"
    vmax = port.max_v_rms or math.inf
    base = f"{stage}"
    if port.signal == "stereo":
        for role, contact_role in (("left", "hot"), ("right", "cold")):
            src = f"{base}.{role}.src"
            net.drives.append(Drive(f"{stage}:{role}", src, gnd, stage, role, 1.0))
            _leg(net, dev, pname, port, role, contact_role, src, vmax)
    elif port.signal == "unbalanced" or port.topology == "impedance":
        src = f"{base}.hot.src"
        net.drives.append(Drive(f"{stage}:hot", src, gnd, stage, "hot", 1.0))
        _leg(net, dev, pname, port, "hot", "hot", src, vmax)
        if port.signal == "balanced":
            cold = contact_node(dev, pname, ROLES[port.connector]["cold"])
            net.contact_roles[cold] = (dev, pname, "cold")
            net.resistors.append(Resistor(f"{cold}.zout", cold, gnd,
                                          max(port.z_out_ohm or 0.0, 1e-3)))
    elif port.topology == "push-pull":
        for role, coeff in (("hot", 0.5), ("cold", -0.5)):
            src = f"{base}.{role}.src"
            net.drives.append(Drive(f"{stage}:{role}", src, gnd, stage, "hot", coeff))
            _leg(net, dev, pname, port, role, role, src, vmax / 2)
    else:  # servo or transformer: a floating source between the legs
        hot_src, cold_src = f"{base}.hot.src", f"{base}.cold.src"
        net.drives.append(Drive(f"{stage}:float", hot_src, cold_src, stage, "hot", 1.0))
        if port.topology == "servo":
            z_cm = port.z_common_mode_ohm or DEFAULT_Z_CM_OHM
            net.resistors.append(Resistor(f"{base}.hot.zcm", hot_src, gnd, z_cm))
            net.resistors.append(Resistor(f"{base}.cold.zcm", cold_src, gnd, z_cm))
        else:
            net.capacitors.append(Capacitor(f"{base}.hot.cw", hot_src, gnd, TRANSFORMER_C_F))
            net.capacitors.append(Capacitor(f"{base}.cold.cw", cold_src, gnd, TRANSFORMER_C_F))
        # each leg's own swing is read but not limited: the limits are differential and, for
        # the servo, common-mode (module docstring)
        _leg(net, dev, pname, port, "hot", "hot", hot_src, math.inf)
        _leg(net, dev, pname, port, "cold", "cold", cold_src, math.inf)
        net.senses.append(Sense(f"{stage}:diff:leg", "leg", ((hot_src, 1.0), (cold_src, -1.0)),
                                dev, pname, "hot", vmax))
        if port.topology == "servo":
            hot_pin = contact_node(dev, pname, ROLES[port.connector]["hot"])
            cold_pin = contact_node(dev, pname, ROLES[port.connector]["cold"])
            net.senses.append(Sense(f"{stage}:cm:leg", "leg",
                                    ((hot_pin, 0.5), (cold_pin, 0.5), (gnd, -1.0)),
                                    dev, pname, "common-mode", vmax / 4))
    _ground_contact(net, dev, pname, port.connector)


def add_input(net: Netlist, dev: str, pname: str, port: PortSpec) -> None:
    """Add an active input port's load and sensing circuit."""
    gnd = ground_node(dev)
    roles = ROLES[port.connector]
    limit = port.max_in_v_rms
    z_in = port.z_in_ohm or 10e3
    if port.signal in ("stereo", "unbalanced"):
        pairs = (("left", "hot"), ("right", "cold")) if port.signal == "stereo" else (
            ("hot", "hot"),)
        for role, contact_role in pairs:
            node = contact_node(dev, pname, roles[contact_role])
            net.contact_roles[node] = (dev, pname, role)
            net.resistors.append(Resistor(f"{node}.zin", node, gnd, z_in))
            net.senses.append(Sense(f"{dev}.{pname}:{role}", "input", ((node, 1.0), (gnd, -1.0)),
                                    dev, pname, role, limit))
    else:
        hot = contact_node(dev, pname, roles["hot"])
        cold = contact_node(dev, pname, roles["cold"])
        net.contact_roles[hot] = (dev, pname, "hot")
        net.contact_roles[cold] = (dev, pname, "cold")
        if port.topology == "transformer":
            net.resistors.append(Resistor(f"{hot}.zin", hot, cold, z_in))
            net.capacitors.append(Capacitor(f"{hot}.cw", hot, gnd, TRANSFORMER_C_F))
            net.capacitors.append(Capacitor(f"{cold}.cw", cold, gnd, TRANSFORMER_C_F))
            terms: tuple[tuple[str, float], ...] = ((hot, 1.0), (cold, -1.0))
        else:
            r = z_in / 2.0
            eps = 2.0 / 10.0 ** ((port.cmrr_db or DEFAULT_CMRR_DB) / 20.0)
            p, m = f"{dev}.{pname}.p", f"{dev}.{pname}.m"
            net.resistors.append(Resistor(f"{hot}.r3", hot, p, r))
            net.resistors.append(Resistor(f"{p}.r4", p, gnd, r * (1.0 + eps)))
            net.resistors.append(Resistor(f"{cold}.r1", cold, m, r))
            net.vcvs.append(Vcvs(f"{dev}.{pname}.opamp", m, gnd, p, gnd, 1.0))
            terms = ((p, 2.0), (cold, -1.0), (gnd, -1.0))
        net.senses.append(Sense(f"{dev}.{pname}:hot", "input", terms, dev, pname, "hot", limit))
    _ground_contact(net, dev, pname, port.connector)


def add_passive_port(net: Netlist, dev: str, pname: str, port: PortSpec) -> None:
    """Register the contacts of a port with no circuit of its own (splitters, host ports)."""
    for contact in CONTACTS[port.connector]:
        node = contact_node(dev, pname, contact)
        role = next((r for r, c in ROLES[port.connector].items() if c == contact), contact)
        net.contact_roles[node] = (dev, pname, role)
    if port.signal == "host":
        _ground_contact(net, dev, pname, port.connector)


def add_links(net: Netlist, dev: ResolvedDevice) -> None:
    """Wire a passive device's linked contacts together."""
    for i, group in enumerate(dev.spec.links):
        hub = f"{dev.name}.link{i}"
        for ref in group:
            pname, _, contact = ref.partition(".")
            net.resistors.append(Resistor(f"{hub}.{ref}", contact_node(dev.name, pname, contact),
                                          hub, LINK_R_OHM, conductive=True))


def add_headphones(net: Netlist, dev: ResolvedDevice, pname: str) -> None:
    """Add the cord and the two drivers behind a headphone plug, with the ear senses."""
    hp = dev.spec.headphones
    assert hp is not None
    port = dev.spec.ports[pname]
    roles = ROLES[port.connector]
    common = f"{dev.name}.common"
    curve = tuple((float(f), float(z)) for f, z in (hp.z_curve or ()))
    sleeve = contact_node(dev.name, pname, roles["ground"])
    net.contact_roles[sleeve] = (dev.name, pname, "ground")
    net.resistors.append(Resistor(f"{dev.name}.cord.ground", sleeve, common, hp.cord_r_ohm,
                                  conductive=True))
    for side, contact_role in (("left", "hot"), ("right", "cold")):
        contact = contact_node(dev.name, pname, roles[contact_role])
        net.contact_roles[contact] = (dev.name, pname, side)
        driver = f"{dev.name}.{side}"
        net.resistors.append(Resistor(f"{dev.name}.cord.{side}", contact, driver, hp.cord_r_ohm,
                                      conductive=True))
        net.transducers.append(Transducer(f"{dev.name}.driver.{side}", driver, common, hp.z_ohm,
                                          curve))
        net.senses.append(Sense(f"{dev.name}:{side}", "ear", ((driver, 1.0), (common, -1.0)),
                                dev.name, pname, side))
