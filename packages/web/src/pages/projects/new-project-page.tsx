import { useEffect, useRef, useState } from 'react';
import { environmentsApi, projectsApi } from '../../api/deployments';
import { frameworkNames, type DetectResult, type Environment, type Framework, type ProjectCreated } from '@devflow/contracts';
import { ErrorAlert, Notice } from '../../components/alert';
import { CopyButton } from '../../components/copy-button';
import { SelectField, TextField } from '../../components/field';
import { PageHeader } from '../../components/page-header';
import { useAction } from '../../lib/use-action';
import { Link, navigate } from '../../router/router';
import { canDeploy, useSession } from '../../session/session';
import { EnvironmentForm } from './environment-form';
import { FRAMEWORK_LABEL } from './framework';
import { VariablesEditor } from './variables-editor';

const STEPS = [
  { id: 'repo', label: 'Repository', title: 'Where is the code?' },
  { id: 'project', label: 'Project', title: 'Framework and name' },
  { id: 'environment', label: 'Environment', title: 'First environment' },
  { id: 'variables', label: 'Variables', title: 'Environment variables' },
  { id: 'deploy', label: 'Deploy', title: 'Ready to deploy' },
] as const;
type StepId = (typeof STEPS)[number]['id'];

/** `git@github.com:acme/shop.git` → `shop`. */
function nameFromUrl(url: string): string {
  const last = url.replace(/\.git$/, '').replace(/[/:]+$/, '').split(/[/:]/).pop() ?? '';
  return last || 'my-app';
}

/** Project wizard: repository → detection (overridable) → name → environment → variables → deploy. */
export function NewProjectPage() {
  const { organization } = useSession();
  const [step, setStep] = useState<StepId>('repo');
  const [repositoryUrl, setRepositoryUrl] = useState('');
  const [branch, setBranch] = useState('main');
  const [detection, setDetection] = useState<DetectResult | null>(null);
  const [framework, setFramework] = useState<Framework>('laravel');
  const [name, setName] = useState('');
  const [project, setProject] = useState<ProjectCreated | null>(null);
  const [environment, setEnvironment] = useState<Environment | null>(null);
  const detect = useAction(projectsApi.detect);
  const create = useAction(projectsApi.create);
  const deploy = useAction(environmentsApi.deploy);
  const heading = useRef<HTMLHeadingElement>(null);
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    heading.current?.focus();
  }, [step]);

  const header = <PageHeader title="New project" description="Link a Git repository; DevFlow detects the framework and prepares a deploy script." />;
  if (!organization) return header;
  if (!canDeploy(organization)) {
    return (
      <>
        {header}
        <Notice tone="info">
          Viewers cannot create projects. <Link to="/projects">Back to projects</Link>
        </Notice>
      </>
    );
  }

  const runDetect = async () => {
    const res = await detect.run({ repositoryUrl, branch });
    if (res.ok) {
      setDetection(res.value);
      setFramework(res.value.framework);
    } else setDetection(null);
    if (!name) setName(nameFromUrl(repositoryUrl));
    if (res.ok) setStep('project');
  };
  const createProject = async () => {
    const overridden = !detection || detection.framework !== framework;
    const res = await create.run({
      organizationId: organization.organizationId,
      name,
      repositoryUrl,
      branch,
      ...(overridden ? { framework } : {}),
    });
    if (res.ok) {
      setProject(res.value);
      setStep('environment');
    }
  };
  const deployNow = async () => {
    if (!environment) return;
    const res = await deploy.run(environment.id, {});
    if (res.ok) navigate(`/deployments/${encodeURIComponent(res.value.id)}`);
  };

  const index = STEPS.findIndex((s) => s.id === step);
  const current = STEPS[index] ?? STEPS[0];
  return (
    <>
      <p className="breadcrumb">
        <Link to="/projects">Projects</Link>
      </p>
      {header}
      <ol className="wizard" aria-label="Steps">
        {STEPS.map((s, i) => (
          <li key={s.id} className={i < index ? 'wizard__step wizard__step--done' : 'wizard__step'} aria-current={i === index ? 'step' : undefined}>
            <span className="wizard__number" aria-hidden="true">
              {i + 1}
            </span>
            {s.label}
            {i < index && <span className="visually-hidden"> (done)</span>}
          </li>
        ))}
      </ol>
      <section className="card section" aria-labelledby="wizard-step-title">
        <h2 id="wizard-step-title" ref={heading} tabIndex={-1}>
          {current.title}
        </h2>

        {step === 'repo' && (
          <form
            className="form"
            onSubmit={(e) => {
              e.preventDefault();
              void runDetect();
            }}
          >
            <ErrorAlert error={detect.error} fields={['repositoryUrl', 'branch']} />
            <TextField
              label="Repository URL"
              hint="https://…, git@host:owner/repo.git or ssh://…"
              value={repositoryUrl}
              onChange={(e) => setRepositoryUrl(e.target.value)}
              error={detect.fieldErrors.repositoryUrl}
              required
              spellCheck={false}
              autoComplete="off"
            />
            <TextField label="Branch" value={branch} onChange={(e) => setBranch(e.target.value)} error={detect.fieldErrors.branch} required spellCheck={false} />
            <div className="form__actions">
              <button type="submit" className="button button--primary" disabled={detect.pending || !repositoryUrl}>
                {detect.pending ? 'Reading the repository…' : 'Detect framework'}
              </button>
              {detect.error && (
                <button
                  type="button"
                  className="button button--ghost"
                  onClick={() => {
                    if (!name) setName(nameFromUrl(repositoryUrl));
                    setStep('project');
                  }}
                >
                  Choose the framework myself
                </button>
              )}
            </div>
          </form>
        )}

        {step === 'project' && (
          <form
            className="form"
            onSubmit={(e) => {
              e.preventDefault();
              void createProject();
            }}
          >
            {detection ? (
              <div className="detection" data-testid="detection">
                <p>
                  Detected <strong>{FRAMEWORK_LABEL[detection.framework]}</strong>
                  {detection.frameworkVersion && ` ${detection.frameworkVersion}`}
                  {detection.phpVersion && ` · PHP ${detection.phpVersion}`}
                  {detection.multiTenancy && ` · multi-tenancy (${detection.multiTenancy})`}
                </p>
                {detection.signals.length > 0 && (
                  <>
                    <p className="muted">Based on:</p>
                    <ul className="detection__signals">
                      {detection.signals.map((s) => (
                        <li key={s}>{s}</li>
                      ))}
                    </ul>
                  </>
                )}
              </div>
            ) : (
              <Notice tone="info">DevFlow could not read the repository yet: choose the framework. Detection runs again at the first deployment.</Notice>
            )}
            <ErrorAlert error={create.error} fields={['name', 'framework']} />
            <SelectField label="Framework" hint="Override the detection if it guessed wrong." value={framework} onChange={(e) => setFramework(e.target.value as Framework)} error={create.fieldErrors.framework}>
              {frameworkNames.map((f) => (
                <option key={f} value={f}>
                  {FRAMEWORK_LABEL[f]}
                </option>
              ))}
            </SelectField>
            <TextField label="Project name" value={name} onChange={(e) => setName(e.target.value)} error={create.fieldErrors.name} required maxLength={100} />
            <div className="form__actions">
              <button type="button" className="button button--ghost" onClick={() => setStep('repo')}>
                Back
              </button>
              <button type="submit" className="button button--primary" disabled={create.pending || !name.trim()}>
                {create.pending ? 'Creating…' : 'Create project'}
              </button>
            </div>
          </form>
        )}

        {step === 'environment' && project && (
          <>
            <Notice tone="info">
              <p>
                <strong>{project.name}</strong> was created. For a private repository, add this read-only deploy key to it:
              </p>
              <p className="secret-line">
                <code className="plain-code">{project.deployKey.publicKey}</code>
                <CopyButton text={project.deployKey.publicKey} label="Copy deploy key" />
              </p>
              {project.detectError && <p>{project.detectError}</p>}
            </Notice>
            <EnvironmentForm
              projectId={project.id}
              organizationId={organization.organizationId}
              defaultBranch={branch}
              onSaved={(env) => {
                setEnvironment(env);
                setStep('variables');
              }}
            />
          </>
        )}

        {step === 'variables' && environment && (
          <>
            <p>Values are stored encrypted and written to the release's env file at each deployment.</p>
            <VariablesEditor environmentId={environment.id} initial={undefined} canEdit onSaved={() => setStep('deploy')} saveLabel="Save and continue" />
            <div className="form__actions">
              <button type="button" className="button button--ghost" onClick={() => setStep('deploy')}>
                Skip for now
              </button>
            </div>
          </>
        )}

        {step === 'deploy' && project && environment && (
          <div className="stack">
            <p>
              <strong>{project.name}</strong> / <strong>{environment.name}</strong> deploys branch <code>{environment.branch}</code>
              {environment.serverIds.length > 0 ? ` to ${environment.serverIds.length} server${environment.serverIds.length === 1 ? '' : 's'}.` : '. Add a server before deploying.'}
            </p>
            <ErrorAlert error={deploy.error} />
            <div className="form__actions">
              <button type="button" className="button button--primary" onClick={() => void deployNow()} disabled={deploy.pending}>
                {deploy.pending ? 'Starting…' : 'Deploy now'}
              </button>
              <Link to={`/environments/${encodeURIComponent(environment.id)}`} className="button button--ghost">
                Open the environment
              </Link>
            </div>
          </div>
        )}
      </section>
    </>
  );
}
