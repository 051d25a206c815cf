// The YAML loader of policy bundles (policies/*.yaml → Domain `PolicyBundle`, every error as
// `file:line:col`) lands here next; the target already links Yams 6.2.2 from the package mirror.
import Yams
