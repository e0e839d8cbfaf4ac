/**
 * IFLA_BOND_* (IFLA_INFO_DATA of kind "bond") and IFLA_BOND_SLAVE_* (IFLA_INFO_SLAVE_DATA of slave
 * kind "bond") attribute numbers, kernel UAPI (include/uapi/linux/if_link.h): part of the kernel
 * ABI, never renumbered once released. Defined here once: the option table
 * (src/bond/options.ts) gives each option its attribute, the netlink layer re-exports them.
 */

// IFLA_INFO_DATA of kind "bond".
export const IFLA_BOND_MODE = 1;
export const IFLA_BOND_ACTIVE_SLAVE = 2;
export const IFLA_BOND_MIIMON = 3;
export const IFLA_BOND_UPDELAY = 4;
export const IFLA_BOND_DOWNDELAY = 5;
export const IFLA_BOND_USE_CARRIER = 6;
export const IFLA_BOND_ARP_INTERVAL = 7;
export const IFLA_BOND_ARP_IP_TARGET = 8;
export const IFLA_BOND_ARP_VALIDATE = 9;
export const IFLA_BOND_ARP_ALL_TARGETS = 10;
export const IFLA_BOND_PRIMARY = 11;
export const IFLA_BOND_PRIMARY_RESELECT = 12;
export const IFLA_BOND_FAIL_OVER_MAC = 13;
export const IFLA_BOND_XMIT_HASH_POLICY = 14;
export const IFLA_BOND_RESEND_IGMP = 15;
export const IFLA_BOND_NUM_PEER_NOTIF = 16;
export const IFLA_BOND_ALL_SLAVES_ACTIVE = 17;
export const IFLA_BOND_MIN_LINKS = 18;
export const IFLA_BOND_LP_INTERVAL = 19;
export const IFLA_BOND_PACKETS_PER_SLAVE = 20;
export const IFLA_BOND_AD_LACP_RATE = 21;
export const IFLA_BOND_AD_SELECT = 22;
export const IFLA_BOND_AD_INFO = 23;
export const IFLA_BOND_AD_ACTOR_SYS_PRIO = 24;
export const IFLA_BOND_AD_USER_PORT_KEY = 25;
export const IFLA_BOND_AD_ACTOR_SYSTEM = 26;
export const IFLA_BOND_TLB_DYNAMIC_LB = 27;
export const IFLA_BOND_PEER_NOTIF_DELAY = 28;
export const IFLA_BOND_AD_LACP_ACTIVE = 29;
export const IFLA_BOND_MISSED_MAX = 30;
export const IFLA_BOND_NS_IP6_TARGET = 31;
export const IFLA_BOND_COUPLED_CONTROL = 32;
/** Highest IFLA_BOND_* this code knows; higher ones are kept raw (BondInfo.unknown). */
export const IFLA_BOND_MAX = 32;

export const IFLA_BOND_AD_INFO_AGGREGATOR = 1;
export const IFLA_BOND_AD_INFO_NUM_PORTS = 2;
export const IFLA_BOND_AD_INFO_ACTOR_KEY = 3;
export const IFLA_BOND_AD_INFO_PARTNER_KEY = 4;
export const IFLA_BOND_AD_INFO_PARTNER_MAC = 5;

// IFLA_INFO_SLAVE_DATA of slave kind "bond".
export const IFLA_BOND_SLAVE_STATE = 1;
export const IFLA_BOND_SLAVE_MII_STATUS = 2;
export const IFLA_BOND_SLAVE_LINK_FAILURE_COUNT = 3;
export const IFLA_BOND_SLAVE_PERM_HWADDR = 4;
export const IFLA_BOND_SLAVE_QUEUE_ID = 5;
export const IFLA_BOND_SLAVE_AD_AGGREGATOR_ID = 6;
export const IFLA_BOND_SLAVE_AD_ACTOR_OPER_PORT_STATE = 7;
export const IFLA_BOND_SLAVE_AD_PARTNER_OPER_PORT_STATE = 8;
export const IFLA_BOND_SLAVE_PRIO = 9;
export const IFLA_BOND_SLAVE_ACTOR_PORT_PRIO = 10;
export const IFLA_BOND_SLAVE_AD_CHURN_ACTOR_STATE = 11;
export const IFLA_BOND_SLAVE_AD_CHURN_PARTNER_STATE = 12;
export const IFLA_BOND_SLAVE_MAX = 12;
