"""
moto server with the two Aurora global database actions moto 5.2.5 lacks: FailoverGlobalCluster and
SwitchoverGlobalCluster, a fix of RemoveFromGlobalCluster, Secrets Manager's StopReplicationToReplica (the break-glass
promotion of the secret's replica, see stop_replication_to_replica), atomic DynamoDB item writes (see below), and
POST /moto-api/snapshot?name=N and /moto-api/restore?name=N, which keep and put back a copy of the whole state (see
_snapshot). Used by the integration tests and by the drill (npm run drill) to exercise the managed
failover path end to end. Usage: server.py [moto_server arguments], e.g. server.py -H 127.0.0.1 -p 5123.

What it implements, after the AWS API reference:
  https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_FailoverGlobalCluster.html
  https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_SwitchoverGlobalCluster.html
  https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_FailoverState.html
- The target (a secondary, named by ARN) becomes the writer; the old primary becomes a secondary (read-only).
  Any member can be the target, so both directions work: a failover to the DR cluster, then a switchover back to
  the home cluster, which AWS intends SwitchoverGlobalCluster for ("to fall back to the original primary after a
  global database failover"); the drill's failback and round-trip scenarios run exactly that.
- While the operation runs, the global cluster's Status is "failing-over" (or "switching-over") and FailoverState
  names the clusters and IsDataLossAllowed. The operation completes after PENDING_DESCRIBES further
  DescribeGlobalClusters calls, so a caller's polling loop is exercised; then FailoverState is empty again.
- After an unplanned failover (AllowDataLoss), Aurora tries to snapshot the old primary as
  `rds:unplanned-global-failover-<cluster>-<timestamp>` (an automated snapshot, expiring with the cluster's backup
  retention); moto takes none, so the completion of a failover with data loss creates that snapshot of the old writer
  in its own region: https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html
  (the orchestrator's lost-writes aftercare copies it; see orchestrator/src/lostWrites.ts).
- Errors: GlobalClusterNotFoundFault (unknown global cluster), DBClusterNotFoundFault (target not a member),
  InvalidParameterCombination (AllowDataLoss with Switchover), InvalidGlobalClusterStateFault when the target is
  already the writer, another operation is running, or the members' engine versions differ (AWS refuses a managed
  failover or switchover across different engine versions:
  https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html).
"""

import collections
import copy
import functools
import io
import json
import logging
import os
import pickle
import sys
import threading
import types
from datetime import datetime, timezone
from urllib.parse import parse_qs

import moto.config.models as config_models
import moto.core.responses as core_responses
import moto.core.routing as core_routing
import moto.core.utils as core_utils
from moto.core.base_backend import BackendDict, backend_lock
from moto.core.model_instances import reset_model_data
from moto.core.responses import ActionResult
from moto.dynamodb.models import DynamoDBBackend
from moto.kms import models as kms_models
from moto.kms.models import Key
from moto.kms.utils import generate_private_key
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.rds.exceptions import DBClusterNotFoundError, RDSClientError
from moto.rds.models import GlobalCluster, RDSBackend
from moto.rds.responses import RDSResponse
from moto.secretsmanager.exceptions import InvalidRequestException, SecretNotFoundException
from moto.secretsmanager.models import FakeSecret, ReplicaSecret
from moto.secretsmanager.responses import SecretsManagerResponse
from moto.server import main

PENDING_DESCRIBES = 2


class GlobalClusterNotFoundFault(RDSClientError):
    code = 404

    def __init__(self, identifier: str):
        super().__init__("GlobalClusterNotFoundFault", f"Global cluster {identifier} not found.")


class InvalidGlobalClusterState(RDSClientError):
    def __init__(self, message: str):
        super().__init__("InvalidGlobalClusterStateFault", message)


class InvalidParameterCombination(RDSClientError):
    def __init__(self, message: str):
        super().__init__("InvalidParameterCombination", message)


def _global_cluster(response: RDSResponse, identifier: str) -> GlobalCluster:
    clusters = response.global_backend.global_clusters
    found = clusters.get(identifier.lower()) or clusters.get(identifier)
    if found is None:
        raise GlobalClusterNotFoundFault(identifier)
    return found


def _move_writer(response: RDSResponse, data_loss: bool) -> ActionResult:
    params = response.params
    global_cluster = _global_cluster(response, params["GlobalClusterIdentifier"])
    target_arn = params["TargetDbClusterIdentifier"]
    target = next((m for m in global_cluster.members if m.db_cluster_arn == target_arn or m.db_cluster_identifier == target_arn), None)
    if target is None:
        raise DBClusterNotFoundError(target_arn, f"DBCluster {target_arn} is not a member of global cluster {global_cluster.global_cluster_identifier}.")
    if getattr(global_cluster, "failover_state", None):
        raise InvalidGlobalClusterState(f"Global cluster {global_cluster.global_cluster_identifier} already has an operation in progress.")
    if target.is_writer:
        raise InvalidGlobalClusterState(f"DB cluster {target_arn} is already the primary cluster of the global cluster.")
    versions = {m.engine_version for m in global_cluster.members}
    if len(versions) > 1:
        raise InvalidGlobalClusterState(
            f"The members of global cluster {global_cluster.global_cluster_identifier} run different engine versions ({', '.join(sorted(versions))})."
        )
    writer = next((m for m in global_cluster.members if m.is_writer), None)
    global_cluster.status = "failing-over" if data_loss else "switching-over"
    global_cluster.failover_state = {
        "Status": global_cluster.status,
        "FromDbClusterArn": writer.db_cluster_arn if writer is not None else None,
        "ToDbClusterArn": target.db_cluster_arn,
        "IsDataLossAllowed": data_loss,
    }
    global_cluster.pending_describes = PENDING_DESCRIBES
    global_cluster.pending_writer = target
    global_cluster.pending_old_writer = writer if data_loss else None
    return ActionResult({"GlobalCluster": global_cluster})


def failover_global_cluster(self: RDSResponse) -> ActionResult:
    allow = str(self.params.get("AllowDataLoss", "")).lower() == "true"
    switchover = str(self.params.get("Switchover", "")).lower() == "true"
    if allow and switchover:
        raise InvalidParameterCombination("AllowDataLoss and Switchover cannot be specified together.")
    return _move_writer(self, data_loss=allow)


def switchover_global_cluster(self: RDSResponse) -> ActionResult:
    return _move_writer(self, data_loss=False)


def remove_from_global_cluster(self: RDSResponse) -> ActionResult:
    """moto 5.2.5 looks the global cluster up in the caller's region and silently does nothing outside us-east-1.

    https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RemoveFromGlobalCluster.html: the removed
    secondary becomes a standalone cluster with its own writer.
    """
    global_cluster = _global_cluster(self, self.params["GlobalClusterIdentifier"])
    target_arn = self.params["DbClusterIdentifier"]
    member = next((m for m in global_cluster.members if m.db_cluster_arn == target_arn or m.db_cluster_identifier == target_arn), None)
    if member is None:
        raise DBClusterNotFoundError(target_arn, f"DBCluster {target_arn} is not a member of global cluster {global_cluster.global_cluster_identifier}.")
    global_cluster.members.remove(member)
    member.is_writer = True
    member.global_cluster_identifier = None
    return ActionResult({"GlobalCluster": global_cluster})


def stop_replication_to_replica(self: SecretsManagerResponse) -> str:
    """moto 5.2.5 has no StopReplicationToReplica.

    https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_StopReplicationToReplica.html: called in the
    replica's region, it removes the link between the replica and its primary and promotes the replica to a standalone
    primary secret there; the answer's ARN "is the same as the original primary secret except the Region is changed".
    https://docs.aws.amazon.com/secretsmanager/latest/userguide/standalone-secret.html: "Changes to the primary secret
    won't replicate to the standalone secret" (so the versions are copied, no longer shared with the primary), and the
    primary no longer lists the region among its replicas. A secret that is not a replica is refused
    (InvalidRequestException).
    """
    secret_id = self._get_param("SecretId")
    backend = self.backend
    if secret_id not in backend.secrets:
        raise SecretNotFoundException()
    replica = backend.secrets[secret_id]
    if not isinstance(replica, ReplicaSecret):
        raise InvalidRequestException(f"Secret {secret_id} is not a replica secret: it is already a primary secret in {backend.region_name}.")
    source = replica.source
    standalone = FakeSecret(
        account_id=source.account_id,
        region_name=backend.region_name,
        secret_id=source.name,
        secret_version={},
        version_id="",
        description=source.description,
        tags=copy.deepcopy(source.tags),
        kms_key_id=replica.config.get("KmsKeyId"),
        created_date=source.created_date,
        last_changed_date=source.last_changed_date,
    )
    standalone.arn = replica.arn
    standalone.versions = copy.deepcopy(source.versions)
    standalone.set_default_version_id(source.default_version_id)
    dict.pop(backend.secrets, replica.arn, None)
    dict.__setitem__(backend.secrets, standalone.name, standalone)
    source.replicas = [r for r in source.replicas if r is not replica]
    return json.dumps({"ARN": standalone.arn})


_describe = RDSBackend.describe_global_clusters


def describe_global_clusters(self: RDSBackend) -> list:
    for global_cluster in self.global_clusters.values():
        pending = getattr(global_cluster, "pending_describes", 0)
        if pending > 0:
            global_cluster.pending_describes = pending - 1
        elif getattr(global_cluster, "failover_state", None):
            target = global_cluster.pending_writer
            for member in global_cluster.members:
                member.is_writer = member is target
            global_cluster.status = "available"
            global_cluster.failover_state = None
            old = getattr(global_cluster, "pending_old_writer", None)
            global_cluster.pending_old_writer = None
            if old is not None:
                stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d-%H-%M")
                old.backend.create_auto_cluster_snapshot(
                    old.db_cluster_identifier, f"rds:unplanned-global-failover-{old.db_cluster_identifier}-{stamp}"
                )
    return _describe(self)


# DynamoDB evaluates a condition and applies the write as one atomic step per item; moto's server handles requests
# on several threads and does not, so two concurrent conditional writes could both succeed (two lock holders) and
# two concurrent ADDs could both read the old count. One lock around moto's item writes restores the atomicity the
# orchestrator's lock relies on. https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html
_ITEM_WRITES = threading.Lock()


def _atomic(method):
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with _ITEM_WRITES:
            return method(self, *args, **kwargs)

    return wrapper


for _name in ("put_item", "update_item", "delete_item", "transact_write_items"):
    setattr(DynamoDBBackend, _name, _atomic(getattr(DynamoDBBackend, _name)))

# --- speed: the suite sends thousands of calls; three costs per call or per key that change nothing the tests see ---
# moto generates a 2048-bit RSA key pair for every KMS key, even a symmetric one, at CreateKey (about 40 ms of CPU);
# only Sign, Verify and GetPublicKey use it. Generated on first use instead: the same key, made later.
def _private_key(self: Key):
    key = self.__dict__.get("_lazy_private_key")
    if key is None:
        key = self.__dict__["_lazy_private_key"] = generate_private_key(self.key_spec)
    return key


def _set_private_key(self: Key, value) -> None:
    self.__dict__["_lazy_private_key"] = value


kms_models.generate_private_key = lambda key_spec: None
Key.private_key = property(_private_key, _set_private_key)

# The service behind a host name never changes, but moto matches it against every service's URL patterns per request.
_get_backend_for_host = DomainDispatcherApplication.get_backend_for_host


@functools.lru_cache(maxsize=None)
def _backend_for_host(app: DomainDispatcherApplication, host):
    return _get_backend_for_host(app, host)


DomainDispatcherApplication.get_backend_for_host = lambda self, host: _backend_for_host(self, host)

# A service's model is loaded from botocore's JSON on first use and cached, but without a lock: the topology's first
# burst of concurrent calls made every request thread load (and parse) the same model at once, under one GIL.
_load_service_model_once = core_utils.get_service_model
_service_models: dict = {}
_service_models_lock = threading.Lock()


def _service_model(service_name: str):
    model = _service_models.get(service_name)
    if model is None:
        with _service_models_lock:
            model = _service_models.get(service_name)
            if model is None:
                model = _service_models[service_name] = _load_service_model_once(service_name)
    return model


for _module in (core_utils, core_responses, core_routing, config_models):
    _module.get_service_model = _service_model

# moto lists a response class's methods (inspect.getmembers: 8% of its CPU in a profile of the fault tests) on every request to
# find the action's method; a class's methods never change once this module has added its own (below, before any
# request), so each class is listed once.
core_responses.method_names_from_class = functools.lru_cache(maxsize=None)(core_utils.method_names_from_class)

# werkzeug logs every request line (its output is discarded by the callers: stdio "ignore").
logging.getLogger("werkzeug").setLevel(logging.WARNING)


# --- speed: snapshots of moto's whole state, for the tests (orchestrator/local/topology.ts freshTopology) ---
# Most integration tests start from the same topology (about 130 calls, a quarter of a second of this server's CPU
# each time); the first build of a topology is snapshotted, and each later test restores it in one call instead.
# A snapshot is every backend's data pickled at once (so references between services, such as a replica secret's
# source in another region, stay references); a restore drops the current data (as /moto-api/reset does) and loads a
# new copy, so no test sees what another did. Locks, which cannot be pickled, are recreated unlocked.
_SNAPSHOTS: dict = {}
_LOCK_TYPES = (type(threading.Lock()), type(threading.RLock()))


class _StatePickler(pickle.Pickler):
    """Pickles the backends' data; what must stay the same object is kept by reference (see persistent_id)."""

    def __init__(self, file):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.shared: list = []
        self._indices: dict = {}

    def persistent_id(self, obj):
        # The service registries stay the server's own objects (only their contents are copied), and so do functions
        # (a defaultdict's factory is often a lambda, which pickle cannot name): copy.deepcopy keeps them too.
        if isinstance(obj, (BackendDict, types.FunctionType)):
            index = self._indices.get(id(obj))
            if index is None:
                index = self._indices[id(obj)] = len(self.shared)
                self.shared.append(obj)
            return index
        return None

    def reducer_override(self, obj):
        if isinstance(obj, _LOCK_TYPES):
            return (threading.RLock if "RLock" in type(obj).__name__ else threading.Lock, ())
        if isinstance(obj, collections.defaultdict) and type(obj) is not collections.defaultdict:
            # A subclass's __init__ may want more than the factory (SSM's ParameterDict), which pickle would call it with.
            return (_new_defaultdict, (type(obj), obj.default_factory), obj.__dict__ or None, None, iter(obj.items()))
        return NotImplemented


def _new_defaultdict(cls, factory):
    made = cls.__new__(cls)
    collections.defaultdict.__init__(made, factory)
    return made


class _StateUnpickler(pickle.Unpickler):
    def __init__(self, file, shared: list):
        super().__init__(file)
        self.shared = shared

    def persistent_load(self, pid):
        return self.shared[pid]


def _snapshot(name: str) -> None:
    with backend_lock:
        buffer = io.BytesIO()
        pickler = _StatePickler(buffer)
        pickler.dump([(registry, dict(registry)) for registry in BackendDict._instances])
        _SNAPSHOTS[name] = (pickler.shared, buffer.getvalue())


def _restore(name: str) -> None:
    shared, data = _SNAPSHOTS[name]
    with backend_lock:
        BackendDict.reset()
        reset_model_data()
        for registry, contents in _StateUnpickler(io.BytesIO(data), shared).load():
            dict.update(registry, contents)
            BackendDict._instances.append(registry)


_dispatch = DomainDispatcherApplication.__call__


def _dispatch_with_snapshots(self, environ, start_response):
    path = environ.get("PATH_INFO", "")
    if environ.get("REQUEST_METHOD") == "POST" and path in ("/moto-api/snapshot", "/moto-api/restore"):
        name = parse_qs(environ.get("QUERY_STRING", "")).get("name", [""])[0]
        if path == "/moto-api/snapshot":
            _snapshot(name)
        elif name in _SNAPSHOTS:
            _restore(name)
        else:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [f"no snapshot named {name!r}".encode()]
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b""]
    return _dispatch(self, environ, start_response)


DomainDispatcherApplication.__call__ = _dispatch_with_snapshots

RDSResponse.failover_global_cluster = failover_global_cluster
RDSResponse.switchover_global_cluster = switchover_global_cluster
RDSResponse.remove_from_global_cluster = remove_from_global_cluster
RDSBackend.describe_global_clusters = describe_global_clusters
SecretsManagerResponse.stop_replication_to_replica = stop_replication_to_replica



def _exit_with_parent() -> None:
    """Ends the server once the process that started it is gone, however it ended.

    startMoto (orchestrator/local/moto.ts) sets HDR_MOTO_STDIN_LIFELINE=1 and keeps the write end of this server's stdin,
    a pipe nobody else holds: EOF arrives when that process exits, even without running its exit handlers (a mocha
    worker, which keeps its server for the next test file, is ended by the pool with a signal at the end of a run).
    """
    sys.stdin.buffer.read()
    os._exit(0)


if __name__ == "__main__":
    if os.environ.get("HDR_MOTO_STDIN_LIFELINE") == "1":
        threading.Thread(target=_exit_with_parent, name="lifeline", daemon=True).start()
    sys.exit(main(sys.argv[1:]))
